/**
 * `npm start`: runs all of Chorus on its embedded default — Postgres (unless DATABASE_URL is
 * set), migrations, first-run bootstrap, the embedded Inngest executor (unless
 * INNGEST_MODE=server) and the Next.js app, on PORT.
 *
 * One process by default. With CHORUS_WORKERS=N (or "auto": one per core) this process sets up
 * the database and the first run, then forks N workers (node:cluster) that share the port,
 * each serving requests and running its own executor; the runs are shared through their
 * leases in Postgres, and task streams hear other workers' events over LISTEN/NOTIFY.
 */
import cluster from "node:cluster";
import { createServer } from "node:http";
import type next from "next";
import { ConfigError, getEnv, type Env } from "@/server/env";
import { logger, switchToPrettyLogs } from "@/server/observability/logger";
import { switchMetrics } from "@/server/observability/metrics-switch";
import { loadOrCreateAuthSecret } from "@/server/runtime/auth-secret";
import { prepareDatabase } from "@/server/runtime/database";

/**
 * What serving needs and the database does not: loading the executor's and the front door's
 * modules and preparing Next. Started before the database is ready, it runs while Postgres
 * starts and migrates (a child process and I/O waits), which took a second or more of start-up.
 */
function warmUp(env: Env, dev: boolean): Promise<ReturnType<typeof next>> {
  // Next itself is imported here, not at the top, so that loading it no longer delays Postgres's start.
  const app = import("next").then(({ default: createNext }) => createNext({ dev, dir: process.cwd(), hostname: env.HOST, port: env.PORT }));
  const ready = Promise.all([
    app.then((created) => created.prepare()),
    import("@/server/db/client"),
    import("@/server/db/observe-database"),
    env.INNGEST_MODE === "embedded" ? import("@/server/runtime/executor") : undefined,
    import("@/server/webhooks/delivery-relay"),
    import("@/server/events/remote-events"),
    import("@/server/retention/prune-old-rows"),
    import("@/server/runtime/front-door"),
    import("@/server/http/json-response"),
    import("@/server/http/content-security"),
    import("@/server/http/request-id"),
  ]).then(() => app);
  // Awaited by serve(); a failure here (or a start that stops first) must not be an unhandled rejection.
  ready.catch(() => {});
  return ready;
}

/**
 * The HTTP server and the executor of one process, and — when other processes may append to the
 * run-event log (`shared`) — the listener for their announcements; returns its drain.
 */
async function serve(env: Env, dev: boolean, shared: boolean, warm?: Promise<ReturnType<typeof next>>): Promise<() => Promise<void>> {
  const prepared = warm ?? warmUp(env, dev);
  // Tracing, before anything is traced (the metrics switch was set as the process started).
  const { startObservability } = await import("@/server/runtime/observability");
  const stopObservability = await startObservability(env);
  const { getPool, closeDb } = await import("@/server/db/client");
  // The pool, the active tasks and the executor's queue, read at each scrape of /api/metrics.
  const { observeDatabase } = await import("@/server/db/observe-database");
  observeDatabase();
  let stopExecutor = async () => {};
  if (env.INNGEST_MODE === "embedded") {
    const { startExecutor } = await import("@/server/runtime/executor");
    stopExecutor = await startExecutor({ pool: getPool(), concurrency: env.CHORUS_EXECUTOR_CONCURRENCY });
  }
  // Webhook deliveries the database recorded go to the durable delivery function, in either mode (docs/webhooks.md).
  const { startWebhookRelay } = await import("@/server/webhooks/delivery-relay");
  const stopWebhookRelay = startWebhookRelay();
  const { listenForRemoteEvents } = await import("@/server/events/remote-events");
  const listener = shared ? listenForRemoteEvents(env.DATABASE_URL!) : undefined;
  // Old run events, workflow state, webhook deliveries and audit events (docs/operations.md#retention).
  const { startRetention } = await import("@/server/retention/prune-old-rows");
  const stopRetention = startRetention();

  const app = await prepared;
  const handle = app.getRequestHandler();
  // The API (REST, tRPC, event streams) is answered by Chorus's own front door, outside Next:
  // one path for every API request, with the same caps and checks; pages go to Next.
  const { answerBeforeNext, answerParserErrors } = await import("@/server/runtime/front-door");
  const { loadApiHeaders } = await import("@/server/http/json-response");
  await loadApiHeaders();
  const { CLIENT_ADDRESS_HEADER } = await import("@/server/auth/sign-in-throttle");
  const { applyContentSecurityPolicy } = await import("@/server/http/content-security");
  const { recordRequestPath } = await import("@/server/auth/request-path");
  const { withRequestId } = await import("@/server/http/request-id");
  const server = createServer((request, response) => {
    // The peer's address, for the sign-in limits; whatever a client sent under this name is dropped.
    request.headers[CLIENT_ADDRESS_HEADER] = request.socket.remoteAddress ?? "";
    if (answerBeforeNext(request, response)) return;
    recordRequestPath(request);
    if (!dev) applyContentSecurityPolicy(request, response);
    // The page's log lines carry the id the front door gave the request.
    void withRequestId(request, response, () => handle(request, response));
  });
  answerParserErrors(server);
  server.keepAliveTimeout = 65_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) =>
        reject(
          error.code === "EADDRINUSE"
            ? new Error(`port ${env.PORT} is already in use on ${env.HOST}: stop what is using it, or set PORT to a free port`)
            : error,
        ),
      );
      server.listen(env.PORT, env.HOST, () => resolve());
    });
  } catch (error) {
    stopRetention();
    await stopWebhookRelay();
    await stopExecutor();
    await listener?.stop();
    await stopObservability();
    throw error;
  }

  return async () => {
    logger.info("shutting down");
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    stopRetention();
    await stopWebhookRelay();
    await stopExecutor();
    await listener?.stop();
    await closeDb();
    await stopObservability();
  };
}

function announceReady(env: Env, database: { embedded: boolean }, workers: number) {
  const shownHost = env.HOST === "0.0.0.0" ? "localhost" : env.HOST;
  logger.info("Chorus is ready", {
    url: `http://${shownHost}:${env.PORT}`,
    database: database.embedded ? "embedded" : "external",
    inngestMode: env.INNGEST_MODE,
    workers,
  });
  console.log(`\n  Chorus is running at http://${shownHost}:${env.PORT}${workers > 1 ? ` (${workers} workers)` : ""}\n`);
}

/** A worker forked by the primary: the database is ready and DATABASE_URL and AUTH_SECRET are set. */
async function runWorker() {
  switchMetrics(getEnv().CHORUS_METRICS);
  // Answers the primary's requests for this worker's metrics, and asks it for the cluster's.
  const { joinClusterMetrics } = await import("@/server/observability/cluster-metrics");
  joinClusterMetrics();
  const drain = await serve(getEnv(), false, true);
  let stopping: Promise<void> | undefined;
  const stop = (reason: string) =>
    (stopping ??= (async () => {
      logger.info("worker stopping", { reason });
      await drain().catch((error) => logger.warn("worker drain failed", { error }));
      process.exit(0);
    })());
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
  // The primary is gone (killed): stop rather than serve on without it.
  process.once("disconnect", () => void stop("primary exited"));
}

/** Forks `count` workers, replaces any that dies unasked; returns a stop that ends them all. */
function superviseWorkers(count: number, onAllListening: () => void): () => Promise<void> {
  let stopping = false;
  let listening = 0;
  const fork = () => {
    const worker = cluster.fork();
    worker.once("listening", () => {
      if (++listening === count) onAllListening();
    });
    worker.once("exit", (code, signal) => {
      // A worker that stopped cleanly was asked to (Ctrl-C reaches every process of the group).
      if (stopping || code === 0) return;
      logger.error("worker exited; starting another", { pid: worker.process.pid, code, signal });
      setTimeout(() => stopping || fork(), 1000).unref();
    });
  };
  for (let index = 0; index < count; index++) fork();
  return async () => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined && !worker.isDead());
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            const forced = setTimeout(() => worker!.process.kill("SIGKILL"), 30_000);
            const exited = () => {
              clearTimeout(forced);
              resolve();
            };
            worker!.once("exit", exited);
            if (worker!.isDead())
              exited(); // it exited before we asked
            else worker!.process.kill("SIGTERM");
          }),
      ),
    );
  };
}

async function main() {
  if (cluster.isWorker) return runWorker();
  const dev = process.argv.includes("--dev");
  if (dev) await switchToPrettyLogs();
  let env = getEnv();
  // Before anything loads the metrics: off, not even Node's default process metrics start.
  switchMetrics(env.CHORUS_METRICS);
  process.env.AUTH_SECRET = env.AUTH_SECRET ?? (await loadOrCreateAuthSecret(env.CHORUS_DATA_DIR));
  process.env.AUTH_TRUST_HOST = String(env.AUTH_TRUST_HOST);

  let shuttingDown: Promise<void> | undefined;
  let drain = async () => {};
  const beforeDatabaseStops = () => (shuttingDown ??= drain());

  // Postgres starts first (a child process); one process that serves loads and prepares what it
  // serves with meanwhile.
  let warm: ReturnType<typeof warmUp> | undefined;
  const serving = dev || env.CHORUS_WORKERS === 1;
  const database = await prepareDatabase(env, {
    ownsCluster: true,
    beforeStop: beforeDatabaseStops,
    onLaunched: () => {
      if (serving) warm ??= warmUp(env, dev);
    },
  });
  try {
    env = getEnv();
    const workers = dev ? 1 : env.CHORUS_WORKERS;
    if (dev && env.CHORUS_WORKERS > 1) logger.warn("CHORUS_WORKERS is ignored with --dev: one process serves");
    // Alone on its own embedded database, no other process appends to the run-event log or
    // listens for announcements of appends. Workers, and any server on DATABASE_URL (which
    // replicas may share), announce theirs and listen for the others'.
    const shared = !(workers === 1 && database.embedded);
    const { announceRunEvents, closeDb } = await import("@/server/db/client");
    announceRunEvents(shared);

    // The master key exists (generated on first start) before any worker needs it, and every
    // secret already stored can be read with it: otherwise stop now, naming the key that is missing.
    const { masterKeyring } = await import("@/server/secrets/master-keys");
    const { assertStoredSecretsReadable } = await import("@/server/secrets/stored-secrets");
    await assertStoredSecretsReadable(masterKeyring(env));

    const { assertKnowledgeLanguageConfigured } = await import("@/server/knowledge/languages");
    await assertKnowledgeLanguageConfigured();
    const { bootstrapFirstRun } = await import("@/server/teams/bootstrap");
    await bootstrapFirstRun(env);
    if (workers > 1) {
      // The primary only supervises: the workers open their own connections.
      await closeDb();
      // One scrape, whichever worker it reaches, answers for every worker (docs/operations.md).
      const { joinClusterMetrics } = await import("@/server/observability/cluster-metrics");
      joinClusterMetrics();
      drain = superviseWorkers(workers, () => announceReady(env, database, workers));
    } else {
      drain = await serve(env, dev, shared, warm);
      announceReady(env, database, 1);
    }
  } catch (error) {
    // Don't leave behind the Postgres this start launched (nothing else would stop it); a cluster
    // adopted from a running Chorus is that server's, and is left alone.
    if (database.startedHere) {
      await database.stop().catch((stopError: unknown) => logger.warn("could not stop the embedded Postgres", { error: stopError }));
    }
    throw error;
  }

  const shutdown = async (signal: string) => {
    logger.info("received signal", { signal });
    await beforeDatabaseStops();
    await database.stop();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
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
