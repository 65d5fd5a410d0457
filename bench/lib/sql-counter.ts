/**
 * Counts the SQL statements every engine sends, by wrapping `Client.prototype.query` of every
 * copy of `pg` in play (Chorus's, in the root node_modules; the baselines', in
 * bench/node_modules, and the nested copy pg-promise carries under @mastra/pg). Pool queries
 * go through `Client.query` too. One call is one statement and one round trip (none of the
 * engines sends multi-statement strings; pg-promise inlines values, so the text is not split).
 *
 * Durable commits are measured on the server instead (see `serverCounters`): transaction ids
 * consumed (only a transaction that writes gets one) and WAL bytes written.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { BENCH_ROOT, REPO_ROOT } from "./paths";

export interface SqlCounts {
  statements: number;
  /** Statements that were BEGIN / COMMIT / ROLLBACK themselves. */
  txControl: number;
  /** Statement text (first 160 chars, whitespace squeezed) → count; filled only while `trace` is on. */
  texts: Map<string, number>;
}

const counts: SqlCounts = { statements: 0, txControl: 0, texts: new Map() };
let enabled = false;
let trace = false;
function textOf(config: unknown): string | undefined {
  if (typeof config === "string") return config;
  if (config && typeof config === "object" && "text" in config && typeof (config as { text: unknown }).text === "string") {
    return (config as { text: string }).text;
  }
  return undefined;
}

function note(text: string) {
  counts.statements++;
  if (/^\s*(BEGIN|START TRANSACTION|COMMIT|END|ROLLBACK)\b/i.test(text)) counts.txControl++;
  if (trace) {
    // pg-promise inlines values: fold literals so one statement shape is one key.
    const key = text
      .replace(/'(?:[^']|'')*'/g, "'…'")
      .replace(/\s+/g, " ")
      .trim()
      .slice(0, 160);
    counts.texts.set(key, (counts.texts.get(key) ?? 0) + 1);
  }
}

let installed = false;
export function installSqlCounter() {
  if (installed) return;
  installed = true;
  const seen = new Set<unknown>();
  // Every place a copy of pg may be resolved from: Chorus, the bench package, and the
  // baselines' own dependencies (pg-promise, under @mastra/pg, carries a nested copy).
  const benchRequire = createRequire(path.join(BENCH_ROOT, "package.json"));
  const bases = [path.join(REPO_ROOT, "package.json"), path.join(BENCH_ROOT, "package.json")];
  for (const dependent of ["pg-promise", "@mastra/pg", "@langchain/langgraph-checkpoint-postgres"]) {
    try {
      bases.push(benchRequire.resolve(dependent));
    } catch {
      /* not installed */
    }
  }
  for (const base of bases) {
    let pgModule: { Client: { prototype: { query: (...args: unknown[]) => unknown } } };
    try {
      pgModule = createRequire(base)("pg");
    } catch {
      continue;
    }
    const proto = pgModule.Client.prototype;
    if (seen.has(proto)) continue;
    seen.add(proto);
    const original = proto.query;
    proto.query = function patchedQuery(this: object, ...args: unknown[]) {
      if (enabled) {
        const text = textOf(args[0]);
        if (text !== undefined) note(text);
      }
      return original.apply(this, args);
    };
  }
}

export function startCounting(options: { trace?: boolean } = {}) {
  counts.statements = 0;
  counts.txControl = 0;
  counts.texts = new Map();
  trace = options.trace ?? false;
  enabled = true;
}

export function stopCounting(): SqlCounts {
  enabled = false;
  trace = false;
  return { ...counts, texts: new Map(counts.texts) };
}

/**
 * Server-side counters read on a separate connection: `xid` (transaction ids assigned so far;
 * every transaction that writes takes exactly one, read-only ones take none) and `walBytes`
 * (the WAL insert position). Reading takes one xid itself; `diff` subtracts it.
 */
export interface ServerCounters {
  xid: bigint;
  walBytes: bigint;
}

export async function serverCounters(client: {
  query: (text: string) => Promise<{ rows: Record<string, unknown>[] }>;
}): Promise<ServerCounters> {
  const { rows } = await client.query(
    `SELECT pg_current_xact_id()::text::bigint AS xid, pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint AS wal`,
  );
  return { xid: BigInt(String(rows[0]!.xid)), walBytes: BigInt(String(rows[0]!.wal)) };
}

export function diffCounters(before: ServerCounters, after: ServerCounters) {
  return { writeTransactions: Number(after.xid - before.xid - 1n), walBytes: Number(after.walBytes - before.walBytes) };
}
