import { createHash } from "node:crypto";
import { recordAudit } from "@/server/audit/record-audit";
import { requirePermission, type Caller } from "@/server/auth/caller";
import {
  deleteKnowledgeDocument as deleteDocumentRow,
  findKnowledgeDocument,
  insertKnowledgeDocument,
  listKnowledgeDocuments as listDocumentRows,
  replaceKnowledgeDocument as replaceDocumentRow,
  type KnowledgeDocumentContent,
} from "@/server/db/queries/knowledge";
import { getEnv } from "@/server/env";
import { AppError } from "@/server/errors";
import { cutText } from "@/server/text/cut-text";
import { parseInput } from "@/server/validation";
import { chunkText } from "./chunk-text";
import { extractText } from "./extract-text";
import { getKnowledgeInput, knowledgeFileFields, knowledgeTextInput, listKnowledgeInput } from "./knowledge-schemas";
import { resolveKnowledgeLanguage } from "./languages";

/**
 * The team knowledge base's documents as members manage them: add (an uploaded file, or text
 * over JSON), list, read, replace and delete. Reading needs "read"; adding, replacing and
 * deleting need "write" — a member who can add a document can take one away (docs/knowledge-base.md).
 * A document's type is decided by its bytes (extract-text.ts), its text cut into chunks
 * (chunk-text.ts) and stored with them in one transaction.
 */

/** Where a document's content comes from: a multipart upload (a file and its form fields) or a JSON body. */
export type DocumentSource = { form: UploadedForm } | { json: unknown };

export interface UploadedForm {
  file?: { name: string; bytes: Uint8Array };
  fields: Record<string, string>;
}

export async function createKnowledgeDocument(caller: Caller, source: DocumentSource) {
  requirePermission(caller, "write");
  const content = await contentOf(source);
  const document = await insertKnowledgeDocument(caller.teamId, content, { createdById: caller.userId ?? null });
  await recordAudit(caller, {
    action: "knowledge.created",
    target: { type: "knowledge_document", id: document.id },
    details: auditFacts(content),
  });
  return document;
}

export async function replaceKnowledgeDocument(caller: Caller, id: string, source: DocumentSource) {
  requirePermission(caller, "write");
  const documentId = documentIdOf(id);
  const content = await contentOf(source);
  const replaced = await replaceDocumentRow(caller.teamId, documentId, content);
  if (!replaced) throw notFound(id);
  await recordAudit(caller, {
    action: "knowledge.replaced",
    target: { type: "knowledge_document", id: documentId },
    details: auditFacts(content),
  });
  return replaced;
}

export async function listKnowledgeDocuments(caller: Caller, raw: unknown) {
  requirePermission(caller, "read");
  const page = parseInput(listKnowledgeInput, raw);
  const { documents, total } = await listDocumentRows(caller.teamId, page);
  return { documents, total, limit: page.limit, offset: page.offset };
}

export async function getKnowledgeDocument(caller: Caller, id: string, raw: unknown = {}) {
  requirePermission(caller, "read");
  const { chunks } = parseInput(getKnowledgeInput, raw);
  const document = await findKnowledgeDocument(caller.teamId, documentIdOf(id), { chunks });
  if (!document) throw notFound(id);
  return document;
}

export async function deleteKnowledgeDocument(caller: Caller, id: string) {
  requirePermission(caller, "write");
  if (!(await deleteDocumentRow(caller.teamId, documentIdOf(id)))) throw notFound(id);
  await recordAudit(caller, { action: "knowledge.deleted", target: { type: "knowledge_document", id } });
  return { deleted: id };
}

/** What the audit log keeps of a document: its title and size, never its text. */
function auditFacts(content: KnowledgeDocumentContent) {
  return { title: content.title, fileName: content.fileName, sizeBytes: content.sizeBytes };
}

/** Extracted, chunked and hashed content of a source, in the language it asks for or the default. */
async function contentOf(source: DocumentSource): Promise<KnowledgeDocumentContent> {
  if ("json" in source) {
    const input = parseInput(knowledgeTextInput, source.json);
    return documentContent(new TextEncoder().encode(input.text), { title: input.title, language: input.language, fileName: null });
  }
  const fields = parseInput(knowledgeFileFields, source.form.fields);
  const file = source.form.file;
  if (!file) throw new AppError("bad_request", "Attach the document as the multipart field `file`", "file");
  const maxBytes = getEnv().CHORUS_KNOWLEDGE_MAX_UPLOAD_BYTES;
  if (file.bytes.length > maxBytes) throw new AppError("payload_too_large", `The file must be at most ${maxBytes} bytes`, "file");
  return documentContent(file.bytes, { ...fields, fileName: safeFileName(file.name) });
}

/** Builds a document from bytes (a file, or JSON text encoded as UTF-8) — the one path both kinds of upload take. */
export async function documentContent(
  bytes: Uint8Array,
  meta: { title?: string; language?: string; fileName: string | null },
): Promise<KnowledgeDocumentContent> {
  const language = await resolveKnowledgeLanguage(meta.language);
  const extracted = await extractText(bytes);
  const fallbackTitle = meta.fileName?.replace(/\.[^.]*$/, "").trim() || "Untitled document";
  return {
    title: cutText(meta.title || extracted.title || fallbackTitle, 300),
    fileName: meta.fileName,
    contentType: extracted.contentType,
    sizeBytes: bytes.length,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    language,
    text: extracted.text,
    chunks: chunkText(extracted.text),
  };
}

/** The file's own name (no directories), printable, at most 255 characters; null when nothing is left. */
function safeFileName(name: string): string | null {
  const base = name
    .split(/[\\/]/)
    .pop()!
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "")
    .trim();
  return base ? cutText(base, 255) : null;
}

/** Ids are cuids; anything else names no document (and may hold what Postgres can't compare). */
function documentIdOf(id: string): string {
  if (!/^[a-z0-9]{1,40}$/.test(id)) throw notFound(id);
  return id;
}

function notFound(id: string): AppError {
  return new AppError("not_found", `No document "${cutText(id, 40)}" in your team's knowledge base`, "id");
}
