// The baseline of bench/streams.ts: the least a server can do to fan events out over SSE with
// node:http — per task one timer makes each event, serializes it once and writes the same bytes
// to every open response; no database, no authentication. Same controls as
// bench/lib/chorus-stream-server.ts, on the same port (PORT):
//   GET /stream/<task>   the task's events;  POST /generate?rate=R&tasks=N;  GET /generated?from&to;  POST /stop
import { createServer } from "node:http";

const watchers = new Map();
const stamps = [];
let timers = [];
const encoder = new TextEncoder();

createServer((request, response) => {
  const url = new URL(request.url ?? "/", "http://raw");
  const stream = /^\/stream\/(\w+)$/.exec(url.pathname);
  if (stream) {
    response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache, no-transform", Connection: "keep-alive" });
    response.write(": connected\n\n");
    const task = stream[1];
    if (!watchers.has(task)) watchers.set(task, new Set());
    watchers.get(task).add(response);
    response.once("close", () => watchers.get(task).delete(response));
    return;
  }
  const send = (body) => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  if (url.pathname === "/generate") {
    const rate = Number(url.searchParams.get("rate"));
    const tasks = Number(url.searchParams.get("tasks"));
    for (let index = 0; index < tasks; index++) {
      let seq = 0;
      timers.push(
        setInterval(() => {
          const t = Date.now();
          stamps.push(t);
          seq += 1;
          const event = {
            seq,
            type: "agent.delta",
            payload: { stepId: "research", text: "token token token ", t },
            createdAt: new Date(t).toISOString(),
          };
          const bytes = encoder.encode(`id: ${seq}\nevent: agent.delta\ndata: ${JSON.stringify(event)}\n\n`);
          for (const watcher of watchers.get(`t${index}`) ?? []) watcher.write(bytes);
        }, 1000 / rate),
      );
    }
    return send({ ok: true });
  }
  if (url.pathname === "/generated") {
    const from = Number(url.searchParams.get("from"));
    const to = Number(url.searchParams.get("to"));
    return send({ count: stamps.filter((t) => t >= from && t <= to).length });
  }
  if (url.pathname === "/stop") {
    timers.forEach((timer) => clearInterval(timer));
    timers = [];
    return send({ ok: true });
  }
  response.writeHead(404).end();
}).listen(Number(process.env.PORT), "127.0.0.1", () => console.log("ready"));
