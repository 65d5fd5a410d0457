import { z } from "zod";

/**
 * The knowledge base's inputs, one zod schema each: REST and tRPC validate with them (through the
 * services), the route table lists them for the docs and the fuzz tests.
 */

const language = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a text search configuration's name, e.g. english, german or simple")
  .optional();

const title = z.string().trim().min(1, "must not be empty").max(300);

/** A document given as text (JSON bodies, tRPC). */
export const knowledgeTextInput = z.object({
  title,
  text: z.string().min(1, "must not be empty"),
  language,
});

/** The fields that come with an uploaded file (multipart). */
export const knowledgeFileFields = z.object({ title: title.optional(), language });

export const listKnowledgeInput = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export const getKnowledgeInput = z.object({
  /** Include the document's chunks (as search sees them) besides its text. */
  chunks: z
    .union([z.boolean(), z.enum(["true", "false", "1", "0"])])
    .optional()
    .transform((value) => value === true || value === "true" || value === "1"),
});

export const searchKnowledgeInput = z.object({
  q: z.string().trim().min(1, "must not be empty").max(500),
  limit: z.coerce.number().int().min(1).max(50).default(10),
});

// ── What the knowledge routes answer with, for the OpenAPI document ─────────────────────────────

export const knowledgeDocumentSummaryView = z
  .object({
    id: z.string(),
    title: z.string(),
    fileName: z.string().nullable(),
    contentType: z.string().meta({ description: "What the text was extracted from (text/plain, text/html, application/pdf…)" }),
    sizeBytes: z.number().int(),
    sha256: z.string(),
    language: z.string().meta({ description: "The text search configuration it is indexed with" }),
    textLength: z.number().int(),
    chunkCount: z.number().int(),
    sample: z.boolean().meta({ description: "One of the samples a new team starts with" }),
    createdById: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "KnowledgeDocumentSummary" });

export const knowledgeDocumentView = knowledgeDocumentSummaryView
  .extend({
    text: z.string(),
    chunks: z
      .array(z.object({ index: z.number().int(), text: z.string() }))
      .optional()
      .meta({ description: "With ?chunks=true: the passages search sees" }),
  })
  .meta({ id: "KnowledgeDocument" });

export const knowledgeDocumentPageView = z
  .object({ documents: z.array(knowledgeDocumentSummaryView), total: z.number().int(), limit: z.number().int(), offset: z.number().int() })
  .meta({ id: "KnowledgeDocumentPage" });

export const knowledgeSearchView = z
  .object({
    query: z.string(),
    results: z.array(
      z.object({
        documentId: z.string(),
        documentTitle: z.string(),
        chunkIndex: z.number().int(),
        snippet: z.string().meta({ description: "The passage around the matches, matches marked with <b>…</b>" }),
        score: z.number().meta({ description: "Higher is better; comparable within one search only" }),
      }),
    ),
  })
  .meta({ id: "KnowledgeSearchResults" });
