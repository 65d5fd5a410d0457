import "server-only";
import { availableParallelism } from "node:os";
import { z } from "zod";
import { DEFAULT_RATE_LIMITS, RATE_LIMIT_FORMAT, parseRateLimitRule, type RateLimitRule } from "@/server/domain/rate-limit-rules";

/**
 * Every environment variable Chorus reads, validated once. Modules import `getEnv()`,
 * never `process.env`. A missing or malformed variable stops start-up with a message that
 * names it (see `ConfigError`).
 */
/** A model's price override: USD per million input, output and (optionally) cached input tokens. */
const modelPricesSchema = z.record(
  z.string().min(1),
  z
    .object({ input: z.number().nonnegative(), output: z.number().nonnegative(), cachedInput: z.number().nonnegative().optional() })
    .strict(),
);

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

const booleanFlag = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", ""])
    .optional()
    .transform((value) => (value === undefined || value === "" ? fallback : value === "true" || value === "1"));

/** A whole number from `min` to `max`, or one of the `named` words, each standing for a number worked out here. */
const integer = (fallback: number, min: number, max: number, named: Record<string, () => number> = {}) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return fallback;
      if (Object.hasOwn(named, value.trim())) return named[value.trim()]!();
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        const words = Object.keys(named)
          .map((word) => `"${word}" or `)
          .join("");
        ctx.addIssue({ code: "custom", message: `must be ${words}a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return parsed;
    });

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A share from 0 to 1 (e.g. 0.1 for one in ten); unset stays unset. */
const ratio = () =>
  optionalString.transform((value, ctx) => {
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
      ctx.addIssue({ code: "custom", message: "must be a number from 0 to 1 (the share of traces kept, e.g. 0.1)" });
      return z.NEVER;
    }
    return parsed;
  });

const postgresUrl = optionalString.refine(
  (value) => value === undefined || /^postgres(ql)?:\/\//.test(value),
  "must be a postgres:// or postgresql:// URL",
);

/** A rate-limit tier's default, `<requests>/<window>` (server/domain/rate-limit-rules.ts). */
const rateLimitRule = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx): RateLimitRule => {
      const rule = parseRateLimitRule(value === undefined || value.trim() === "" ? fallback : value);
      if (!rule) {
        ctx.addIssue({ code: "custom", message: `must be ${RATE_LIMIT_FORMAT}` });
        return z.NEVER;
      }
      return rule;
    });

/**
 * A master key for secrets at rest (server/secrets): 32 bytes as 64 hex characters or as base64
 * (`openssl rand -base64 32`). Hex is tried first: 64 hex characters are also valid base64.
 */
const masterKey = optionalString.transform((value, ctx): Buffer | undefined => {
  if (value === undefined) return undefined;
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, "hex");
  const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) ? Buffer.from(value, "base64") : undefined;
  if (bytes?.length === 32) return bytes;
  ctx.addIssue({
    code: "custom",
    message: "must be 32 bytes, as 64 hex characters or base64 (generate one with `openssl rand -base64 32`)",
  });
  return z.NEVER;
});

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  PORT: integer(3000, 1, 65535),
  HOST: optionalString.transform((value) => value ?? "0.0.0.0"),
  DATABASE_URL: postgresUrl,
  DATABASE_POOL_SIZE: integer(10, 1, 200),
  CHORUS_DATA_DIR: optionalString.transform((value) => value ?? ".data"),
  CHORUS_ADMIN_EMAIL: optionalString.refine(
    (value) => value === undefined || z.email().safeParse(value).success,
    "must be an email address",
  ),
  CHORUS_ADMIN_PASSWORD: optionalString.refine((value) => value === undefined || value.length >= 8, "must be at least 8 characters"),
  CHORUS_TEAM_NAME: optionalString.transform((value) => value ?? "My Team"),
  AUTH_SECRET: optionalString.refine(
    (value) => value === undefined || value.length >= 32,
    "must be at least 32 characters (generate one with `openssl rand -base64 32`)",
  ),
  AUTH_TRUST_HOST: booleanFlag(true),
  // The public URL of Chorus (https://chorus.example.com): sign-in redirects and the same-origin
  // check of browser requests use it instead of the request's (forwarded) host.
  AUTH_URL: optionalString.refine((value) => value === undefined || /^https?:\/\/[^/]+/.test(value), "must be an http:// or https:// URL"),
  // How long a sign-in lasts (from sign-in, however active); sign-out ends it at once.
  CHORUS_SESSION_MAX_AGE_SECONDS: integer(7 * 24 * 60 * 60, 300, 90 * 24 * 60 * 60),
  // Sign-in with any OpenID Connect provider (docs/members.md#sign-in-with-oidc-or-github): its issuer
  // URL, the client registered there for <public URL>/api/auth/callback/oidc, and the button's label.
  CHORUS_OIDC_ISSUER: optionalString.refine(
    (value) => value === undefined || /^https?:\/\/[^/]+/.test(value),
    "must be an http:// or https:// URL",
  ),
  CHORUS_OIDC_CLIENT_ID: optionalString,
  CHORUS_OIDC_CLIENT_SECRET: optionalString,
  CHORUS_OIDC_NAME: optionalString.transform((value) => value ?? "Single sign-on"),
  // Sign-in with GitHub: an OAuth app whose callback is <public URL>/api/auth/callback/github.
  AUTH_GITHUB_ID: optionalString,
  AUTH_GITHUB_SECRET: optionalString,
  // Operations (docs/operations.md): the bearer token GET /api/metrics asks for (unset: it answers
  // only to requests from this machine that came through no proxy), and the free space under
  // CHORUS_DATA_DIR below which /api/health/ready answers 503.
  CHORUS_METRICS_TOKEN: optionalString.refine((value) => value === undefined || value.length >= 16, "must be at least 16 characters"),
  CHORUS_READY_MIN_FREE_DISK_MB: integer(100, 0, 100_000_000),
  // "off": metrics are not collected (no counting on any request or step) and /api/metrics answers 404 saying so.
  CHORUS_METRICS: z
    .enum(["on", "off", ""])
    .optional()
    .transform((value) => value !== "off"),
  // Tracing (docs/operations.md#tracing): set, spans are exported over OTLP/HTTP (JSON) to <endpoint>/v1/traces.
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString.refine(
    (value) => value === undefined || /^https?:\/\/[^/]+/.test(value),
    "must be an http:// or https:// URL (an OTLP/HTTP collector, e.g. http://localhost:4318)",
  ),
  OTEL_SERVICE_NAME: optionalString.transform((value) => value ?? "chorus"),
  // Headers sent with every export, `key=value,key2=value2` (the OpenTelemetry convention), e.g. an API key.
  OTEL_EXPORTER_OTLP_HEADERS: optionalString.transform((value, ctx): Record<string, string> => {
    if (value === undefined) return {};
    const headers: Record<string, string> = {};
    for (const pair of value.split(",")) {
      const at = pair.indexOf("=");
      const name = at > 0 ? pair.slice(0, at).trim() : "";
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
        ctx.addIssue({ code: "custom", message: "must be key=value pairs separated by commas, e.g. x-api-key=abc,x-team=ops" });
        return z.NEVER;
      }
      const raw = pair.slice(at + 1).trim();
      // Values may be percent-encoded (the convention's rule); one that is not valid encoding is taken as written.
      headers[name] = safeDecode(raw);
    }
    return headers;
  }),
  // The share of traces kept, 0 to 1 (the OpenTelemetry name; CHORUS_TRACE_SAMPLE_RATIO wins when both are set).
  OTEL_TRACES_SAMPLER_ARG: ratio(),
  CHORUS_TRACE_SAMPLE_RATIO: ratio(),
  // `chorus eval run` against a server (docs/evals.md#ci-gate): its URL and an API key of the team; not read by the server.
  CHORUS_URL: optionalString,
  CHORUS_API_KEY: optionalString,
  // Set by bin/chorus.mjs: the folder the CLI was started in (it moves to the project root), for the files its options name.
  CHORUS_CLI_CWD: optionalString,
  INNGEST_MODE: z.enum(["embedded", "server"]).default("embedded"),
  INNGEST_EVENT_KEY: optionalString,
  INNGEST_SIGNING_KEY: optionalString,
  INNGEST_BASE_URL: optionalString,
  // Server processes sharing the port (node:cluster), each with its own executor: "auto" is one
  // per CPU core. The embedded database is started once, by the primary process.
  CHORUS_WORKERS: integer(1, 1, 64, { auto: () => Math.min(64, availableParallelism()) }),
  CHORUS_EXECUTOR_CONCURRENCY: integer(32, 1, 1000),
  CHORUS_TASK_MAX_PARALLEL: integer(4, 1, 64),
  CHORUS_TEAM_MAX_PARALLEL: integer(16, 1, 1000),
  CHORUS_MAX_FOLLOW_UPS: integer(3, 0, 12),
  CHORUS_APPROVAL_TIMEOUT_SECONDS: integer(24 * 60 * 60, 1, 30 * 24 * 60 * 60),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalString.refine(
    (value) => value === undefined || /^https?:\/\//.test(value),
    "must be an http:// or https:// URL",
  ),
  // Which OpenAI wire API the instance's OpenAI (or OPENAI_BASE_URL) provider is called through (docs/models.md).
  OPENAI_API: z.enum(["chat_completions", "responses"]).default("chat_completions"),
  ANTHROPIC_API_KEY: optionalString,
  // Another endpoint for Anthropic's Messages API (a gateway or proxy), e.g. https://gateway.example.com/v1.
  ANTHROPIC_BASE_URL: optionalString.refine(
    (value) => value === undefined || /^https?:\/\//.test(value),
    "must be an http:// or https:// URL",
  ),
  CHORUS_MODEL: optionalString,
  CHORUS_OFFLINE_TOKEN_DELAY_MS: integer(15, 0, 10_000),
  // The embedding model the evals similarity scorer uses through the OpenAI(-compatible) provider above (docs/evals.md#scorers); unset: a lexical measure.
  CHORUS_EMBEDDING_MODEL: optionalString,
  // Deadlines on every model call (server/llm/deadlines.ts): until the response starts, with no
  // chunk, and in all. A provider configuration may set its own.
  CHORUS_MODEL_CONNECT_TIMEOUT_MS: integer(15_000, 100, 600_000),
  CHORUS_MODEL_STALL_TIMEOUT_MS: integer(60_000, 100, 3_600_000),
  CHORUS_MODEL_TIMEOUT_MS: integer(600_000, 1_000, 24 * 60 * 60 * 1000),
  // The circuit breaker per model (server/llm/breaker.ts): consecutive failures that open it, and how long until it half-opens.
  CHORUS_BREAKER_FAILURES: integer(5, 1, 1000),
  CHORUS_BREAKER_RESET_MS: integer(60_000, 100, 24 * 60 * 60 * 1000),
  // Rate limits per API key or user (server/rate-limit), overridable per team with `chorus team limits`.
  CHORUS_RATE_LIMIT_SPEND: rateLimitRule(DEFAULT_RATE_LIMITS.spend),
  CHORUS_RATE_LIMIT_WRITE: rateLimitRule(DEFAULT_RATE_LIMITS.write),
  CHORUS_RATE_LIMIT_READ: rateLimitRule(DEFAULT_RATE_LIMITS.read),
  // Both set: rate limits are counted in Upstash (or any server speaking its REST API) instead of Postgres.
  UPSTASH_REDIS_REST_URL: optionalString.refine(
    (value) => value === undefined || /^https?:\/\//.test(value),
    "must be an http:// or https:// URL",
  ),
  UPSTASH_REDIS_REST_TOKEN: optionalString,
  // Set: the response cache's shared store is this Redis (redis://, rediss://) instead of Postgres (server/db/redis.ts).
  REDIS_URL: optionalString.refine((value) => value === undefined || /^rediss?:\/\//.test(value), "must be a redis:// or rediss:// URL"),
  // The fetch_url tool (server/web): its deadline for a page (every redirect and the body) and its body cap.
  CHORUS_WEB_FETCH_TIMEOUT_MS: integer(10_000, 500, 120_000),
  CHORUS_WEB_FETCH_MAX_BYTES: integer(2 * 1024 * 1024, 1024, 50 * 1024 * 1024),
  // The web_search tool's provider (server/web/search-providers): chosen here, or by which of the settings below is present.
  CHORUS_WEB_SEARCH_PROVIDER: z
    .enum(["searxng", "brave", "tavily", ""])
    .optional()
    .transform((value) => value || undefined),
  SEARXNG_URL: optionalString.refine((value) => value === undefined || /^https?:\/\//.test(value), "must be an http:// or https:// URL"),
  BRAVE_SEARCH_API_KEY: optionalString,
  BRAVE_SEARCH_URL: optionalString.refine(
    (value) => value === undefined || /^https?:\/\//.test(value),
    "must be an http:// or https:// URL",
  ),
  TAVILY_API_KEY: optionalString,
  TAVILY_URL: optionalString.refine((value) => value === undefined || /^https?:\/\//.test(value), "must be an http:// or https:// URL"),
  CHORUS_WEB_SEARCH_TIMEOUT_MS: integer(10_000, 500, 120_000),
  // Secrets stored in the database (MCP servers' headers) are encrypted under this key; unset, a
  // key is generated once into CHORUS_DATA_DIR/master.key. PREVIOUS is read-only, for rotation.
  CHORUS_MASTER_KEY: masterKey,
  CHORUS_MASTER_KEY_PREVIOUS: masterKey,
  // MCP servers that run as a local command (stdio) execute programs on this machine: off unless allowed.
  CHORUS_MCP_ALLOW_STDIO: booleanFlag(false),
  CHORUS_MCP_CONNECT_TIMEOUT_MS: integer(10_000, 100, 120_000),
  CHORUS_MCP_CALL_TIMEOUT_MS: integer(30_000, 100, 600_000),
  // The knowledge base (docs/knowledge-base.md): the Postgres text search configuration documents
  // are indexed and searched with unless one names its own (checked against the database at
  // start), and the largest upload accepted.
  CHORUS_KNOWLEDGE_LANGUAGE: optionalString
    .refine(
      (value) => value === undefined || /^[a-z_][a-z0-9_]{0,62}$/.test(value),
      "must be the name of a Postgres text search configuration, e.g. english, german or simple",
    )
    .transform((value) => value ?? "english"),
  CHORUS_KNOWLEDGE_MAX_UPLOAD_BYTES: integer(10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  // Model responses and usage (docs/model-usage.md): how long a cached response answers identical
  // calls, and price overrides in USD per million tokens, {"my-model":{"input":0.5,"output":1.5}}.
  CHORUS_MODEL_CACHE_TTL_SECONDS: integer(3600, 1, 30 * 24 * 60 * 60),
  CHORUS_MODEL_PRICES: optionalString.transform((value, ctx) => {
    if (value === undefined) return {};
    const parsed = modelPricesSchema.safeParse(parseJsonOrUndefined(value));
    if (!parsed.success) {
      ctx.addIssue({ code: "custom", message: 'must be JSON like {"my-model":{"input":0.5,"output":1.5}} (USD per million tokens)' });
      return z.NEVER;
    }
    return parsed.data;
  }),
  // The audit log (docs/audit-log.md): events older than this many days are deleted in the background.
  CHORUS_AUDIT_RETENTION_DAYS: integer(365, 1, 100 * 365),
  // Retention (docs/operations.md#retention): after this many days, finished tasks' run events, the
  // executor's state of finished runs and finished webhook deliveries are deleted in the background.
  // Task results, executions and the task rows are kept. 0 = as soon as they are finished.
  CHORUS_RUN_EVENT_RETENTION_DAYS: integer(30, 0, 100 * 365),
  CHORUS_WORKFLOW_STATE_RETENTION_DAYS: integer(7, 0, 100 * 365),
  CHORUS_WEBHOOK_DELIVERY_RETENTION_DAYS: integer(30, 0, 100 * 365),
  // Webhooks (docs/webhooks.md): the pause before each delivery attempt, in seconds, comma-separated;
  // the first is attempt 1's. Default: Standard Webhooks' schedule (at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).
  CHORUS_WEBHOOK_RETRY_DELAYS: optionalString.transform((value, ctx) => {
    if (value === undefined) return [0, 5, 300, 1800, 7200, 18000, 36000, 36000];
    const delays = value.split(",").map((part) => Number(part.trim()));
    if (delays.length < 1 || delays.length > 20 || delays.some((delay) => !Number.isInteger(delay) || delay < 0 || delay > 86_400)) {
      ctx.addIssue({ code: "custom", message: "must be 1 to 20 whole numbers of seconds (0 to 86400), comma-separated, e.g. 0,5,300" });
      return z.NEVER;
    }
    return delays;
  }),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  }
  const env = result.data;
  const problems: string[] = [];
  if (env.INNGEST_MODE === "server" && env.NODE_ENV === "production" && !env.INNGEST_SIGNING_KEY) {
    problems.push("INNGEST_SIGNING_KEY: required when INNGEST_MODE=server in production");
  }
  if (Boolean(env.UPSTASH_REDIS_REST_URL) !== Boolean(env.UPSTASH_REDIS_REST_TOKEN)) {
    problems.push(
      `${env.UPSTASH_REDIS_REST_URL ? "UPSTASH_REDIS_REST_TOKEN" : "UPSTASH_REDIS_REST_URL"}: required when the other UPSTASH_REDIS_REST_ variable is set`,
    );
  }
  const searchSetting = { searxng: "SEARXNG_URL", brave: "BRAVE_SEARCH_API_KEY", tavily: "TAVILY_API_KEY" } as const;
  if (env.CHORUS_WEB_SEARCH_PROVIDER) {
    const needed = searchSetting[env.CHORUS_WEB_SEARCH_PROVIDER];
    if (!env[needed]) problems.push(`${needed}: required when CHORUS_WEB_SEARCH_PROVIDER=${env.CHORUS_WEB_SEARCH_PROVIDER}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return env;
}

const names = Object.keys(envSchema.shape) as Array<keyof Env>;
let cached: { fingerprint: string; env: Env } | undefined;

/**
 * The validated environment. Re-parsed only when one of Chorus's variables changed (start-up
 * fills some in); the check reads just those, since this runs on every database access.
 */
export function getEnv(): Env {
  let fingerprint = "";
  for (const name of names) fingerprint += `${process.env[name] ?? ""}\u0000`;
  if (!cached || cached.fingerprint !== fingerprint) cached = { fingerprint, env: parseEnv(process.env) };
  return cached.env;
}
