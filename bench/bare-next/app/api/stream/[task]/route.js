// A baseline of bench/streams.ts: Server-Sent Events from a bare Next.js route handler, fanned out
// the cheapest way a route can — one timer per task (in ../../stream-control) serializes each event
// once and enqueues the same bytes on every open stream's controller. No database, no auth.
export const dynamic = "force-dynamic";

const state = (globalThis.benchStreams ??= { watchers: new Map(), stamps: [], timers: [] });

export function GET(request, { params }) {
  let controllerRef;
  const stream = new ReadableStream({
    async start(controller) {
      controllerRef = controller;
      const { task } = await params;
      if (!state.watchers.has(task)) state.watchers.set(task, new Set());
      state.watchers.get(task).add(controller);
      controller.enqueue(new TextEncoder().encode(": connected\n\n"));
      request.signal.addEventListener("abort", () => state.watchers.get(task).delete(controllerRef));
    },
    cancel() {
      for (const set of state.watchers.values()) set.delete(controllerRef);
    },
  });
  return new Response(stream, {
    headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache, no-transform", Connection: "keep-alive" },
  });
}
