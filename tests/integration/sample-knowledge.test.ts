import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { getDb } from "@/server/db/client";
import { parseEnv } from "@/server/env";
import { deleteKnowledgeDocument, listKnowledgeDocuments } from "@/server/knowledge/documents";
import { SAMPLE_DOCUMENTS, seedSampleKnowledge } from "@/server/knowledge/sample-knowledge";
import { searchKnowledge } from "@/server/knowledge/search";
import { bootstrapFirstRun } from "@/server/teams/bootstrap";

/**
 * The first start gives the first team a small knowledge base — Chorus's own docs — marked as
 * samples, which the admin can delete for good: they are seeded once per team, never again.
 */
const dataDir = await mkdtemp(path.join(os.tmpdir(), "chorus-sample-knowledge-"));
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe("sample knowledge", () => {
  it("the first run seeds Chorus's docs into the first team, searchable at once; deleted, they never come back", async () => {
    const created = await bootstrapFirstRun(parseEnv({ CHORUS_DATA_DIR: dataDir, CHORUS_ADMIN_PASSWORD: "correct horse battery" }), {
      print: () => undefined,
      interactive: false,
    });
    const teamId = created!.teamId;
    const admin = { teamId, role: "admin" as const };
    const { documents } = await listKnowledgeDocuments(admin, {});
    expect(documents.map((document) => document.title).sort()).toEqual(SAMPLE_DOCUMENTS.map((sample) => sample.title).sort());
    expect(documents.every((document) => document.sample && document.contentType === "text/markdown")).toBe(true);
    const hits = await searchKnowledge(teamId, "embedded executor leases", { limit: 5 });
    expect(hits.map((hit) => hit.documentTitle)).toContain("Chorus architecture");

    for (const document of documents) await deleteKnowledgeDocument(admin, document.id);
    expect(await seedSampleKnowledge(teamId)).toBe(0);
    expect((await listKnowledgeDocuments(admin, {})).total).toBe(0);
    expect(await getDb().knowledgeChunk.count({ where: { teamId } })).toBe(0);
  });

  it("two processes seeding one team at once seed it once", async () => {
    const team = await getDb().team.create({ data: { slug: "race-team", name: "Race" } });
    const added = await Promise.all([seedSampleKnowledge(team.id), seedSampleKnowledge(team.id)]);
    expect(added.filter((count) => count > 0)).toHaveLength(1);
    expect(await getDb().knowledgeDocument.count({ where: { teamId: team.id } })).toBe(SAMPLE_DOCUMENTS.length);
  });
});
