// The controls of the bare Next.js SSE baseline (bench/streams.ts): ?do=generate&rate=R&tasks=N,
// ?do=generated&from&to, ?do=stop — the same as bench/lib/raw-sse-server.mjs's.
export const dynamic = "force-dynamic";

const state = (globalThis.benchStreams ??= { watchers: new Map(), stamps: [], timers: [] });
const encoder = new TextEncoder();

export function POST(request) {
  const url = new URL(request.url);
  const what = url.searchParams.get("do");
  if (what === "generate") {
    const rate = Number(url.searchParams.get("rate"));
    const tasks = Number(url.searchParams.get("tasks"));
    for (let index = 0; index < tasks; index++) {
      let seq = 0;
      state.timers.push(
        setInterval(() => {
          const t = Date.now();
          state.stamps.push(t);
          seq += 1;
          const event = {
            seq,
            type: "agent.delta",
            payload: { stepId: "research", text: "token token token ", t },
            createdAt: new Date(t).toISOString(),
          };
          const bytes = encoder.encode(`id: ${seq}\nevent: agent.delta\ndata: ${JSON.stringify(event)}\n\n`);
          for (const controller of state.watchers.get(`t${index}`) ?? []) {
            try {
              controller.enqueue(bytes);
            } catch {
              /* closed */
            }
          }
        }, 1000 / rate),
      );
    }
    return Response.json({ ok: true });
  }
  if (what === "generated") {
    const from = Number(url.searchParams.get("from"));
    const to = Number(url.searchParams.get("to"));
    return Response.json({ count: state.stamps.filter((t) => t >= from && t <= to).length });
  }
  if (what === "stop") {
    state.timers.forEach((timer) => clearInterval(timer));
    state.timers = [];
    return Response.json({ ok: true });
  }
  return Response.json({ error: "unknown" }, { status: 404 });
}
