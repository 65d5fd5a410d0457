import "server-only";
import type { RedisClientType } from "@redis/client";
import { getEnv } from "@/server/env";
import { logger } from "@/server/observability/logger";

/**
 * One Redis client per process, when `REDIS_URL` is set (the response cache's shared store,
 * server/db/queries/model-cache-redis.ts). node-redis reconnects by itself; while it cannot reach
 * the server, commands fail at once rather than queueing (`disableOfflineQueue`), so a cache in
 * front of a model call never makes the call wait for Redis to come back. Undefined without
 * REDIS_URL. Shared through globalThis like the database handles (Next's bundles and the server).
 */
const key = Symbol.for("chorus.redis");
type GlobalWithRedis = typeof globalThis & { [key]?: { url: string; client: Promise<RedisClientType> } };

export function getRedis(): Promise<RedisClientType> | undefined {
  const url = getEnv().REDIS_URL;
  if (!url) return undefined;
  const store = globalThis as GlobalWithRedis;
  if (store[key]?.url === url) return store[key].client;
  // The client library loads with the first use: without REDIS_URL no process pays for it at start-up.
  const connected = import("@redis/client").then(({ createClient }) => {
    const client = createClient({
      url,
      disableOfflineQueue: true,
      socket: { connectTimeout: 2000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 5000) },
    }) as RedisClientType;
    let reported = false;
    client.on("error", (error: unknown) => {
      // Reconnects report every failure: say so once per outage, not once per retry.
      if (!reported) logger.warn("Redis is unreachable; the response cache treats it as a miss until it is back", { error });
      reported = true;
    });
    client.on("ready", () => (reported = false));
    return client.connect().then(() => client);
  });
  connected.catch(() => undefined);
  store[key] = { url, client: connected };
  return connected;
}

/** Closes this process's client at once, pending commands failing (tests; a shutdown); also while it is reconnecting. */
export async function closeRedis(): Promise<void> {
  const store = globalThis as GlobalWithRedis;
  const current = store[key];
  store[key] = undefined;
  const client = await current?.client.catch(() => undefined);
  if (client?.isOpen) client.destroy();
}
