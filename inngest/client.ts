import { Inngest } from "inngest";
import { getEnv } from "@/server/env";
import { embeddedClientOptions } from "./executor";
import { taskCreated } from "./events";

/**
 * The one Inngest client. Embedded mode (default) hands every event the SDK would POST to
 * Inngest's event API to Chorus's in-process executor instead; server mode talks to Inngest
 * Cloud or a self-hosted `inngest start` (INNGEST_BASE_URL, INNGEST_EVENT_KEY).
 */
function createClient() {
  const env = getEnv();
  if (env.INNGEST_MODE === "embedded") {
    return new Inngest({ id: "chorus", ...embeddedClientOptions });
  }
  return new Inngest({
    id: "chorus",
    ...(env.INNGEST_EVENT_KEY ? { eventKey: env.INNGEST_EVENT_KEY } : {}),
    ...(env.INNGEST_BASE_URL ? { baseUrl: env.INNGEST_BASE_URL } : {}),
    ...(env.NODE_ENV !== "production" && !env.INNGEST_SIGNING_KEY ? { isDev: true } : {}),
  });
}

const clientKey = Symbol.for("chorus.inngest-client");
type GlobalWithClient = typeof globalThis & { [clientKey]?: ReturnType<typeof createClient> };
const store = globalThis as GlobalWithClient;
export const inngest = (store[clientKey] ??= createClient());

export async function sendTaskCreated(data: { taskId: string; teamId: string }) {
  await inngest.send(taskCreated.create(data));
}
