/**
 * One logger: JSON lines on stdout/stderr, written by pino (`time`, `level`, `message`, the
 * request's `requestId` while an HTTP request is being answered, the `traceId` while a traced
 * span is active (docs/operations.md#tracing), then the fields). Keys that
 * look like secrets are redacted so a careless `logger.info("x", { apiKey })` can never leak a
 * credential, and so is any text that holds a known secret (registerSecret: the provider keys in
 * use) or looks like a provider key or a bearer token — a provider may echo the key it was sent
 * inside an error message. `npm run dev` switches to pino-pretty (switchToPrettyLogs).
 */
import pino from "pino";
import { currentRequestId } from "./request-context";
import { currentTraceId } from "./tracing";

type Level = "debug" | "info" | "warn" | "error";
const order: Record<Level | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const secretKey = /(password|secret|token|api[-_]?key|authorization|cookie|hash)/i;

/** A password inside a URL (`postgres://user:password@host`), as drivers put them in error messages. */
const urlPassword = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@]+@/gi;
/** Provider keys (`sk-…`, `sk-ant-…`), Chorus API keys and bearer tokens, wherever they appear. */
const keyLike = /\b(sk-[A-Za-z0-9_-]{8,}|chorus_[a-z0-9]{8}_[A-Za-z0-9_-]{16,}|Bearer\s+[A-Za-z0-9._~+/=-]{8,})/g;
const knownSecrets = new Set<string>();

/** Redacts this exact text wherever it appears in what is logged from now on (shorter than 8 characters: ignored). */
export function registerSecret(secret: string | undefined) {
  if (secret && secret.length >= 8) knownSecrets.add(secret);
}

function scrub(text: string): string {
  let scrubbed = text.replace(urlPassword, "$1[redacted]@").replace(keyLike, "[redacted]");
  for (const secret of knownSecrets) if (scrubbed.includes(secret)) scrubbed = scrubbed.split(secret).join("[redacted]");
  return scrubbed;
}

function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return scrub(value);
  if (value === null || typeof value !== "object") return value;
  // Deeper than this is not walked, so it is not written either: it could hold a secret.
  if (depth > 4) return "[truncated]";
  if (value instanceof Error) return { name: value.name, message: scrub(value.message) };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      key,
      secretKey.test(key) ? "[redacted]" : redact(item, depth + 1),
    ]),
  );
}

/** Read at each call, so a test (or an operator's `LOG_LEVEL` in a child process) takes effect at once. */
function threshold(): number {
  const level = (process.env.LOG_LEVEL ?? "info") as Level | "silent";
  return order[level] ?? order.info;
}

/** The request id, on every line written while a request is answered; the trace id while a sampled span is active. */
const mixin = () => {
  const requestId = currentRequestId();
  const traceId = currentTraceId();
  if (traceId === undefined) return requestId === undefined ? {} : { requestId };
  return requestId === undefined ? { traceId } : { requestId, traceId };
};

const baseOptions: pino.LoggerOptions = {
  // Filtering is by `threshold()` above; pino writes whatever it is handed.
  level: "debug",
  base: null,
  messageKey: "message",
  mixin,
};

/**
 * Streams that look `process.stdout.write` up at each line rather than binding it once: tests
 * capture output by replacing it, as they did before pino.
 */
const toStdout = { write: (line: string) => process.stdout.write(line) };
const toStderr = { write: (line: string) => process.stderr.write(line) };

function jsonLogger(stream: { write(line: string): unknown }) {
  return pino(
    {
      ...baseOptions,
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}

/** Warnings and errors go to stderr, the rest to stdout, as before pino. */
let writers = { out: jsonLogger(toStdout), err: jsonLogger(toStderr) };

/**
 * Human-readable, coloured lines instead of JSON, for `npm run dev` only: pino-pretty is a
 * development dependency, loaded here on demand and never in production.
 */
export async function switchToPrettyLogs(): Promise<void> {
  const { default: pretty } = await import("pino-pretty");
  const prettyLogger = (destination: 1 | 2) =>
    pino(
      { ...baseOptions, timestamp: pino.stdTimeFunctions.isoTime },
      pretty({ destination, sync: true, messageKey: "message", translateTime: "HH:MM:ss.l" }),
    );
  writers = { out: prettyLogger(1), err: prettyLogger(2) };
}

function write(level: Level, message: string, fields?: Record<string, unknown>) {
  if (order[level] < threshold()) return;
  const writer = level === "error" || level === "warn" ? writers.err : writers.out;
  // The message goes first among the fields (pino would put its message key last): lines read
  // `time, level, message, fields…` as they always have, for people and for log searches alike.
  writer[level]({ message: scrub(message), ...(redact(fields ?? {}) as object) });
}

export const logger = {
  debug: (message: string, fields?: Record<string, unknown>) => write("debug", message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write("info", message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write("warn", message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write("error", message, fields),
};
