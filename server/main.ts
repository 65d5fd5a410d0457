/**
 * `npm start`: one process that runs all of Chorus on its embedded default — Postgres (unless
 * DATABASE_URL is set), migrations, first-run bootstrap, the embedded Inngest executor
 * (unless INNGEST_MODE=server) and the Next.js app, on PORT.
 */
import { createServer } from "node:http";
import next from "next";
import { ConfigError, getEnv } from "@/server/env";
import { logger } from "@/server/observability/logger";
import { loadOrCreateAuthSecret } from "@/server/runtime/auth-secret";
import { prepareDatabase } from "@/server/runtime/database";

async function main() {
  const dev = process.argv.includes("--dev");
  let env = getEnv();
  process.env.AUTH_SECRET = env.AUTH_SECRET ?? (await loadOrCreateAuthSecret(env.CHORUS_DATA_DIR));
  process.env.AUTH_TRUST_HOST = String(env.AUTH_TRUST_HOST);

  let shuttingDown: Promise<void> | undefined;
  let drain = async () => {};
  const beforeDatabaseStops = () => (shuttingDown ??= drain());

  const database = await prepareDatabase(env, { ownsCluster: true, beforeStop: beforeDatabaseStops });
  env = getEnv();

  const { getPool, closeDb } = await import("@/server/db/client");
  const { bootstrapFirstRun } = await import("@/server/teams/bootstrap");
  await bootstrapFirstRun(env);

  let stopExecutor = async () => {};
  if (env.INNGEST_MODE === "embedded") {
    const { startExecutor } = await import("@/server/runtime/executor");
    stopExecutor = await startExecutor({ pool: getPool(), concurrency: env.CHORUS_EXECUTOR_CONCURRENCY });
  }

  const app = next({ dev, dir: process.cwd(), hostname: env.HOST, port: env.PORT });
  const handle = app.getRequestHandler();
  await app.prepare();
  // The request API clients poll (GET /api/v1/tasks/{id} with an API key) is answered here,
  // the same as the Next route answers it, at a quarter of the CPU; everything else goes to Next.
  const { directRoutesReady, serveTaskReadDirectly } = await import("@/server/http/direct-task-read");
  await directRoutesReady();
  const server = createServer((request, response) => {
    if (serveTaskReadDirectly(request, response)) return;
    void handle(request, response);
  });
  server.keepAliveTimeout = 65_000;

  drain = async () => {
    logger.info("shutting down");
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await stopExecutor();
    await closeDb();
  };
  const shutdown = async (signal: string) => {
    logger.info("received signal", { signal });
    await beforeDatabaseStops();
    await database.stop();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.PORT, env.HOST, () => resolve());
  });
  const shownHost = env.HOST === "0.0.0.0" ? "localhost" : env.HOST;
  logger.info("Chorus is ready", {
    url: `http://${shownHost}:${env.PORT}`,
    database: database.embedded ? "embedded" : "external",
    inngestMode: env.INNGEST_MODE,
  });
  console.log(`\n  Chorus is running at http://${shownHost}:${env.PORT}\n`);
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error("Chorus failed to start:", error instanceof Error ? error.message : error);
    logger.error("start-up failed", { error });
  }
  process.exit(1);
});
