import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { getEnv } from "@/server/env";
import { PrismaClient } from "./generated/client";

/**
 * One pg pool and one Prisma client per process, shared through globalThis so that Next's
 * bundled route modules, the custom server and the executor all use the same connections.
 */
interface DatabaseHandles {
  url: string;
  /** DATABASE_URL as read from the environment when these handles were made. */
  raw: string | undefined;
  pool: pg.Pool;
  prisma: PrismaClient;
}

/**
 * This process's name on its database connections (`application_name`): it tells this
 * process's own run-event announcements apart from other processes' (run-event-announcements.ts).
 */
export const PROCESS_TAG = `chorus-${process.pid}-${randomBytes(4).toString("hex")}`;

/**
 * Whether this process's connections announce run-event appends (LISTEN/NOTIFY, see
 * APPENDED_COLUMNS): on unless the process knows it is the only one serving its database (the
 * embedded default with one process). A NOTIFY makes each appending commit take Postgres's
 * cluster-wide notification lock, which is worth paying only when another process listens.
 * Set before the first statement: it is a setting of the pool's connections.
 */
let announcing = true;
export function announceRunEvents(on: boolean) {
  announcing = on;
}

const key = Symbol.for("chorus.database");
type GlobalWithDatabase = typeof globalThis & { [key]?: DatabaseHandles };

function databaseUrl(): string {
  const url = getEnv().DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: start Chorus with `npm start`, which starts the embedded database");
  return url;
}

function handles(): DatabaseHandles {
  const store = globalThis as GlobalWithDatabase;
  let current = store[key];
  // This runs for every statement: one variable read while DATABASE_URL stays as it was (the
  // full validated environment costs ~30 reads, measured at ~0.5 ms of CPU per task).
  const raw = process.env.DATABASE_URL;
  if (current && current.raw === raw) return current;
  const url = databaseUrl();
  if (!current || current.url !== url) {
    const pool = new pg.Pool({
      connectionString: url,
      max: getEnv().DATABASE_POOL_SIZE,
      application_name: PROCESS_TAG,
      ...(announcing ? { options: "-c chorus.announce_run_events=on" } : {}),
    });
    pool.on("error", () => undefined); // an idle client's error must not crash the process; queries still reject
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    current = { url, raw, pool, prisma };
    store[key] = current;
  }
  current.raw = raw;
  return current;
}

export function getDb(): PrismaClient {
  return handles().prisma;
}

export function getPool(): pg.Pool {
  return handles().pool;
}

const statementNames = new Map<string, string>();

/** A statement's name for the server's statement cache: the hash of its text (one name, one text). */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `chorus-${createHash("sha256").update(text).digest("base64url").slice(0, 22)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * Runs one statement as a named prepared statement: each pooled connection parses it once, and
 * Postgres can then reuse its plan instead of planning it on every call (measured on the task
 * hot path: planning was ≈ 0.3 ms of Postgres CPU per call, a sixth of its cost). For statements
 * written in the code, with parameters — never for text built from input.
 */
export function query<Row extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<Row>> {
  return handles().pool.query<Row>({ name: statementName(text), text, values });
}

export async function closeDb(): Promise<void> {
  const store = globalThis as GlobalWithDatabase;
  const current = store[key];
  if (!current) return;
  store[key] = undefined;
  await current.prisma.$disconnect();
  await current.pool.end();
}

export type { PrismaClient };
