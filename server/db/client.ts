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
  pool: pg.Pool;
  prisma: PrismaClient;
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
  const url = databaseUrl();
  let current = store[key];
  if (!current || current.url !== url) {
    const pool = new pg.Pool({ connectionString: url, max: getEnv().DATABASE_POOL_SIZE });
    pool.on("error", () => undefined); // an idle client's error must not crash the process; queries still reject
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    current = { url, pool, prisma };
    store[key] = current;
  }
  return current;
}

export function getDb(): PrismaClient {
  return handles().prisma;
}

export function getPool(): pg.Pool {
  return handles().pool;
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
export * from "./generated/enums";
