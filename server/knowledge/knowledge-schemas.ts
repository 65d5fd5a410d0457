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
