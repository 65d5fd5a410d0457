import { z } from "zod";

/**
 * What an admin may send to add or change a team's model provider, as zod schemas (REST, tRPC and
 * the dashboard share them). The rule between fields — an OpenAI-compatible provider needs a base
 * URL, and only OpenAI-style providers choose an `api` — is checked by the service on the provider as it would be after the change.
 */
export const MODEL_PROVIDER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

const baseUrl = z
  .string()
  .max(2048)
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), "must be an http:// or https:// URL")
  .refine(
    (value) => !URL.canParse(value) || (new URL(value).username === "" && new URL(value).password === ""),
    "must not carry credentials (user:password@); give the key as apiKey, which is stored encrypted",
  );

const timeoutMs = z.number().int().min(100).max(3_600_000);

const fields = {
  name: z.string().regex(MODEL_PROVIDER_NAME, "must be a slug of 1 to 40 lower-case letters, digits and dashes"),
  kind: z.enum(["openai", "anthropic", "openai-compatible"]),
  baseUrl,
  apiKey: z
    .string()
    .trim()
    .min(8, "must be an API key (at least 8 characters)")
    .max(4096)
    .regex(/^[\x21-\x7e]+$/, "must be an API key (printable characters, no spaces)"),
  connectTimeoutMs: timeoutMs,
  stallTimeoutMs: timeoutMs,
  overallTimeoutMs: timeoutMs,
  // OpenAI and OpenAI-compatible only (the service refuses it for anthropic): docs/models.md.
  api: z.enum(["chat_completions", "responses"]),
};

export const createModelProviderInput = z.strictObject({
  name: fields.name,
  kind: fields.kind,
  baseUrl: fields.baseUrl.optional(),
  apiKey: fields.apiKey.optional(),
  connectTimeoutMs: fields.connectTimeoutMs.optional(),
  stallTimeoutMs: fields.stallTimeoutMs.optional(),
  overallTimeoutMs: fields.overallTimeoutMs.optional(),
  api: fields.api.optional(),
});

/** Each field given replaces the stored one; null clears `baseUrl`, `apiKey` and the optional limits. */
export const updateModelProviderInput = z.strictObject({
  name: fields.name.optional(),
  kind: fields.kind.optional(),
  baseUrl: fields.baseUrl.nullable().optional(),
  apiKey: fields.apiKey.nullable().optional(),
  connectTimeoutMs: fields.connectTimeoutMs.nullable().optional(),
  stallTimeoutMs: fields.stallTimeoutMs.optional(),
  overallTimeoutMs: fields.overallTimeoutMs.nullable().optional(),
  api: fields.api.optional(),
});

export const modelProviderIdInput = z.object({ id: z.string() });
export const updateModelProviderProcedureInput = updateModelProviderInput.extend({ id: z.string() });

export type CreateModelProviderInput = z.infer<typeof createModelProviderInput>;
