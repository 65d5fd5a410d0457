/**
 * Inngest's event API, in-process. The SDK sends events (`inngest.send`, `step.sendEvent`) as
 * a POST of a JSON array to `<baseUrl>/e/<eventKey>` through the client's `fetch`; in embedded
 * mode that `fetch` is `embeddedEventFetch`, which hands the events to the executor running in
 * this process and answers as Inngest's event API does (`{ ids, status: 200 }`).
 *
 * The executor is found through a registry on `globalThis`: Next.js bundles route modules
 * separately from the custom server, so a module-level variable would exist twice.
 */
import { Middleware, headerKeys } from "inngest";

export interface SendableEvent {
  name: string;
  data?: Record<string, unknown>;
  id?: string;
  ts?: number;
  v?: string;
  [key: string]: unknown;
}

export interface EventSink {
  send(events: SendableEvent | SendableEvent[], options?: { idSeed?: string }): Promise<{ ids: string[] }>;
}

const registryKey = Symbol.for("chorus.executor");
type GlobalWithExecutor = typeof globalThis & { [registryKey]?: EventSink };

export function registerEventSink(sink: EventSink) {
  (globalThis as GlobalWithExecutor)[registryKey] = sink;
}

export function unregisterEventSink(sink: EventSink) {
  const store = globalThis as GlobalWithExecutor;
  if (store[registryKey] === sink) store[registryKey] = undefined;
}

export function registeredEventSink(): EventSink | undefined {
  return (globalThis as GlobalWithExecutor)[registryKey];
}

const NO_EXECUTOR =
  "No embedded executor is running in this process: start one with createEmbeddedExecutor(...).start() " +
  "before sending events, or run Chorus with INNGEST_MODE=server";

/**
 * Hands `inngest.send()` / `step.sendEvent()` events straight to the executor once the SDK has
 * prepared them (validated, defaults applied, other client middleware run), instead of letting
 * it POST them through `embeddedEventFetch`: no Request, Response or body streams, no response
 * schema, no header assembly (which reads the whole process environment on every send). The
 * SDK's own retries of a failed POST don't apply: a failure (the database) is thrown to the
 * caller at once. Registered last in the client's middleware, so other client middleware wraps
 * it; a function's own `wrapSendEvent` middleware (none in Chorus) would be skipped.
 */
export class EmbeddedEventDelivery extends Middleware.BaseMiddleware {
  readonly id = "chorus-embedded-event-delivery";

  override async wrapSendEvent({ events }: Middleware.WrapSendEventArgs) {
    const sink = registeredEventSink();
    if (!sink) throw new Error(NO_EXECUTOR);
    return sink.send(events as unknown as SendableEvent[]);
  }
}

/** Where the embedded client "sends" events; never contacted over the network. */
export const EMBEDDED_BASE_URL = "http://chorus.embedded/";

function reply(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** A `fetch` for `new Inngest({ fetch })` that delivers the SDK's event POSTs to the executor. */
export const embeddedEventFetch: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  const path = new URL(request.url).pathname;
  if (request.method !== "POST" || !/\/e\/[^/]+$/.test(path)) {
    return reply(404, {
      error: `Chorus's embedded executor only implements Inngest's event API (POST /e/<key>), not ${request.method} ${path}`,
      status: 404,
    });
  }
  const sink = registeredEventSink();
  if (!sink) {
    return reply(503, { error: NO_EXECUTOR, status: 503 });
  }
  let events: unknown;
  try {
    events = await request.json();
  } catch {
    return reply(400, { error: "The event payload is not JSON", status: 400 });
  }
  const list = Array.isArray(events) ? events : [events];
  if (!list.every((event) => typeof event === "object" && event !== null && typeof (event as { name?: unknown }).name === "string")) {
    return reply(400, { error: "Every event needs a string `name`", status: 400 });
  }
  try {
    const { ids } = await sink.send(list as SendableEvent[], { idSeed: request.headers.get(headerKeys.EventIdSeed) ?? undefined });
    return reply(200, { ids, status: 200 });
  } catch (error) {
    return reply(500, { error: error instanceof Error ? error.message : String(error), status: 500 });
  }
};

/**
 * The `Inngest` client options for embedded mode: `new Inngest({ id, ...embeddedClientOptions })`
 * (a client with middleware of its own lists `...embeddedClientOptions.middleware` last).
 * Explicit `isDev`, `eventKey` and `baseUrl` keep INNGEST_DEV / INNGEST_BASE_URL /
 * INNGEST_EVENT_KEY in the environment from redirecting events, and `isDev: false` keeps a
 * `serve()` handler (if one is mounted) from accepting unsigned requests. `fetch` still delivers
 * whatever reaches the event API another way.
 */
export const embeddedClientOptions = {
  isDev: false as const,
  eventKey: "embedded",
  baseUrl: EMBEDDED_BASE_URL,
  fetch: embeddedEventFetch,
  middleware: [EmbeddedEventDelivery],
};
