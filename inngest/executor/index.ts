/**
 * Chorus's embedded Inngest executor: runs the app's real `inngest.createFunction(...)`
 * definitions in-process, with runs, memoised steps and waits in Postgres, so `npm start`
 * needs no Inngest server. How it works and what it guarantees: README.md in this folder.
 *
 * ```ts
 * const inngest = new Inngest({ id: "chorus", ...embeddedClientOptions });
 * const executor = createEmbeddedExecutor({ pool, client: inngest, functions, logger, isDatabaseUnavailable });
 * executor.start();            // claims work; `inngest.send()` in this process now lands here
 * await inngest.send({ name: "chorus/task.created", data: { taskId } });
 * await executor.stop();       // on shutdown, before the pool closes
 * ```
 */
export { createEmbeddedExecutor } from "./executor";
export type { EmbeddedExecutor, EmbeddedExecutorOptions } from "./executor";
export type { ExecutorStats } from "./run-driver";
export type { ExecutorLogger } from "./logging";
export { EMBEDDED_BASE_URL, embeddedClientOptions, embeddedEventFetch } from "./event-api";
export type { SendableEvent } from "./event-api";
