import { encryptionMiddleware } from "@inngest/middleware-encryption";
import { Inngest } from "inngest";
import { getEnv } from "@/server/env";
import { durableStateEncryption } from "@/server/secrets/durable-state-encryption";
import { logger } from "@/server/observability/logger";
import { embeddedClientOptions } from "./executor";
import {
  evalExperimentCancelled,
  evalExperimentStarted,
  planDecided,
  taskCancelled,
  taskCreated,
  taskFinished,
  taskFinishedEventId,
  toolDecided,
} from "./events";

/**
 * The one Inngest client. Embedded mode (default) hands every event the SDK would POST to
 * Inngest's event API to Chorus's in-process executor instead; server mode talks to Inngest
 * Cloud or a self-hosted `inngest start` (INNGEST_BASE_URL, INNGEST_EVENT_KEY).
 */
/**
 * The SDK logs through Chorus's logger. A step that throws is an expected event (it is
 * retried, recorded on the execution and shown to the user), so the SDK's own error lines
 * about it are debug detail, not errors.
 */
const describe = (args: unknown[]) =>
  args.map((arg) => (arg instanceof Error ? arg.message : typeof arg === "string" ? arg : JSON.stringify(arg))).join(" ");
const sdkLogger = {
  debug: (...args: unknown[]) => logger.debug("inngest", { detail: describe(args) }),
  info: (...args: unknown[]) => logger.debug("inngest", { detail: describe(args) }),
  warn: (...args: unknown[]) => logger.warn("inngest", { detail: describe(args) }),
  error: (...args: unknown[]) => logger.debug("inngest", { detail: describe(args) }),
};

/**
 * Task content in durable state — step outputs, function results, and the `encrypted` field of
 * event and invoke data (prompts, plans, agents' output) — is encrypted before the executor's
 * tables or an Inngest server see it, as AES-256-GCM envelopes under the master keyring
 * (server/secrets/durable-state-encryption.ts, docs/secrets.md). Ids the engine routes on
 * (taskId, teamId) stay readable. `key` is empty on purpose: the service holds the keys, and the
 * middleware's legacy (crypto-js AES) format, which would use it, is then refused, not decrypted.
 */
const durableStateEncryptionMiddleware = () => encryptionMiddleware({ key: "", encryptionService: durableStateEncryption() });

function createClient() {
  const env = getEnv();
  const middleware = [durableStateEncryptionMiddleware()];
  if (env.INNGEST_MODE === "embedded") {
    return new Inngest({
      id: "chorus",
      logger: sdkLogger,
      ...embeddedClientOptions,
      middleware: [...middleware, ...embeddedClientOptions.middleware],
    });
  }
  return new Inngest({
    id: "chorus",
    logger: sdkLogger,
    middleware,
    ...(env.INNGEST_EVENT_KEY ? { eventKey: env.INNGEST_EVENT_KEY } : {}),
    ...(env.INNGEST_BASE_URL ? { baseUrl: env.INNGEST_BASE_URL } : {}),
    ...(env.NODE_ENV !== "production" && !env.INNGEST_SIGNING_KEY ? { isDev: true } : {}),
  });
}

const clientKey = Symbol.for("chorus.inngest-client");
type GlobalWithClient = typeof globalThis & { [clientKey]?: ReturnType<typeof createClient> };
const store = globalThis as GlobalWithClient;
export const inngest = (store[clientKey] ??= createClient());

/** The event id comes from the task, so sending it again (an idempotent createTask after a crash) starts no second coordinator. */
export async function sendTaskCreated(data: { taskId: string; teamId: string; traceId?: string }) {
  await inngest.send(taskCreated.create(data, { id: `task-created-${data.taskId}` }));
}

export async function sendPlanDecided(data: { taskId: string; approved: boolean }) {
  await inngest.send(planDecided.create(data));
}

/** A member's cancel: stops the coordinator and its agents, and says the task finished (one send). */
export async function sendTaskCancelled(data: { taskId: string; teamId: string }) {
  await inngest.send([
    taskCancelled.create({ taskId: data.taskId }),
    taskFinished.create({ ...data, status: "cancelled" }, { id: taskFinishedEventId(data.taskId, "cancelled") }),
  ]);
}

/**
 * Says a task finished (`chorus/task.finished`). Never throws: the status is stored already, and
 * the consumer re-reads it; a send that fails is logged (the consumer's wait then times out).
 */
export async function sendTaskFinished(data: {
  taskId: string;
  teamId: string;
  status: "completed" | "failed" | "cancelled" | "budget_exceeded";
}) {
  try {
    await inngest.send(taskFinished.create(data, { id: taskFinishedEventId(data.taskId, data.status) }));
  } catch (error) {
    logger.warn("the task.finished event could not be sent", { taskId: data.taskId, status: data.status, error });
  }
}

export async function sendToolDecided(data: { taskId: string; executionId: string; callId: string }) {
  await inngest.send(toolDecided.create(data));
}

/** Starts an experiment's run; the id makes a repeated send (a retried request) start it once. */
export async function sendEvalExperimentStarted(data: { experimentId: string; teamId: string }) {
  await inngest.send(evalExperimentStarted.create(data, { id: `eval-experiment-${data.experimentId}` }));
}

export async function sendEvalExperimentCancelled(data: { experimentId: string }) {
  await inngest.send(evalExperimentCancelled.create(data));
}
