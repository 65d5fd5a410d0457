import { readFile } from "node:fs/promises";
import path from "node:path";
import { insertSampleKnowledgeOnce, type KnowledgeDocumentContent } from "@/server/db/queries/knowledge";
import { logger } from "@/server/observability/logger";
import { documentContent } from "./documents";

/**
 * A small knowledge base a new team starts with — Chorus's own documentation — so the research
 * agent has something to search before anyone uploads anything. Seeded once per team: the team
 * records it, so the admin can delete the documents (they are marked `sample`) and they never
 * come back.
 */
export const SAMPLE_DOCUMENTS: ReadonlyArray<{ file: string; title: string }> = [
  { file: "README.md", title: "Chorus: overview" },
  { file: "docs/architecture.md", title: "Chorus architecture" },
  { file: "docs/knowledge-base.md", title: "Chorus knowledge base" },
  { file: "docs/rate-limits.md", title: "Chorus rate limits" },
];

/** Seeds the team's sample documents unless it ever had them; how many were added (0 if seeded before). */
export async function seedSampleKnowledge(teamId: string, root = process.cwd()): Promise<number> {
  const documents: KnowledgeDocumentContent[] = [];
  for (const sample of SAMPLE_DOCUMENTS) {
    const bytes = await readFile(path.join(root, sample.file)).catch(() => undefined);
    // An installation without the docs (a trimmed image) simply starts with fewer samples.
    if (bytes) documents.push(await documentContent(bytes, { title: sample.title, fileName: path.basename(sample.file) }));
  }
  if (documents.length === 0) return 0;
  const seeded = await insertSampleKnowledgeOnce(teamId, documents);
  if (seeded) logger.info("seeded the sample knowledge base", { teamId, documents: documents.length });
  return seeded ? documents.length : 0;
}
