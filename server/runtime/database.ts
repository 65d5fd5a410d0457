import type { Env } from "@/server/env";
import { startEmbeddedPostgres } from "@/server/db/embedded";
import { migrate, type MigrationResult } from "@/server/db/migrate";

/**
 * Connects Chorus to its database: the one in DATABASE_URL, or else the embedded Postgres in
 * CHORUS_DATA_DIR (started, or adopted if already running: `startedHere` tells which). Applies
 * pending migrations and exports the URL as DATABASE_URL so every module, Next's included, uses it.
 */
export async function prepareDatabase(
  env: Env,
  options: { ownsCluster: boolean; beforeStop?: () => Promise<void>; onLaunched?: () => void },
): Promise<{ url: string; embedded: boolean; startedHere: boolean; stop: () => Promise<void>; migrations: MigrationResult }> {
  let url = env.DATABASE_URL;
  let stop = async () => {};
  let startedHere = false;
  if (!url) {
    const postgres = await startEmbeddedPostgres({ dataDir: env.CHORUS_DATA_DIR, ...options });
    url = postgres.url;
    startedHere = postgres.started;
    stop = postgres.started || options.ownsCluster ? () => postgres.stop() : stop;
  }
  // An external database is already on its way: what waits for Postgres to be launched can start.
  if (env.DATABASE_URL) options.onLaunched?.();
  let migrations: MigrationResult;
  try {
    migrations = await migrate(url);
  } catch (error) {
    await stop();
    throw error;
  }
  process.env.DATABASE_URL = url;
  return { url, embedded: !env.DATABASE_URL, startedHere, stop, migrations };
}
