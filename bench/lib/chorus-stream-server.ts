/**
 * Chorus's stream path for bench/streams.ts, in one process as `npm start` runs it: the API's
 * front door on node:http (the REST router serves event streams before Next.js would see them),
 * the embedded executor and the run-event log in Postgres (DATABASE_URL, from the bench's own
 * cluster). Run with tsx; PORT serves the API, CONTROL_PORT the bench's controls:
 *   POST /setup?tasks=N        a team, an admin API key and N running tasks → { key, taskIds }
 *   POST /generate?rate=R      every task appends an agent.delta R times a second (as a running step
 *                              does: the coalescer writes one per 50 ms)
 *   GET  /generated?from&to    how many events were committed with a createdAt in [from, to]
 *   GET  /positions            each task's last seq (where a watcher that wants only new events starts)
 *   POST /stop                 stops generating
 *   POST /task                 a real task (offline model) that waits for approval → { id }
 *   POST /task/:id/approve     approves it and answers when it has finished → { ms } (approval to end)
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

process.env.AUTH_SECRET ??= randomBytes(32).toString("base64url");
process.env.CHORUS_MASTER_KEY ??= randomBytes(32).toString("base64");
process.env.LOG_LEVEL ??= "warn";

const { getDb, getPool } = await import("../../server/db/client");
const { loadApiHeaders } = await import("../../server/http/json-response");
const { answerBeforeNext, answerParserErrors } = await import("../../server/runtime/front-door");
const { startExecutor } = await import("../../server/runtime/executor");
const { createApiKey } = await import("../../server/auth/api-keys");
const { mergeTeamRateLimits } = await import("../../server/db/queries/rate-limits");
const { appendRunEvent } = await import("../../server/events/run-events");
const { createTask } = await import("../../server/tasks/tasks");
const { approveTask } = await import("../../server/tasks/task-actions");

await loadApiHeaders();
const stopExecutor = await startExecutor({ pool: getPool(), concurrency: 16 });

const api = createServer((request, response) => {
  if (!answerBeforeNext(request, response)) response.writeHead(404).end();
});
answerParserErrors(api);
api.listen(Number(process.env.PORT), "127.0.0.1");

let team: { id: string } | undefined;
let caller: { teamId: string; userId: string; role: "admin" } | undefined;
let taskIds: string[] = [];
const stamps: number[] = [];
let timers: NodeJS.Timeout[] = [];

async function setup(tasks: number) {
  const db = getDb();
  team = await db.team.create({ data: { slug: `bench-streams-${randomBytes(3).toString("hex")}`, name: "Bench streams" } });
  const user = await db.user.create({ data: { email: `bench-${randomBytes(3).toString("hex")}@chorus.test` } });
  await db.membership.create({ data: { teamId: team.id, userId: user.id, role: "admin" } });
  caller = { teamId: team.id, userId: user.id, role: "admin" };
  const unlimited = "1000000000/1m";
  await mergeTeamRateLimits(team.id, { read: unlimited, write: unlimited, spend: unlimited }, false);
  const { key } = await createApiKey({ teamId: team.id, role: "admin", name: "bench" });
  taskIds = [];
  for (let index = 0; index < tasks; index++) {
    const task = await db.task.create({ data: { teamId: team.id, prompt: `stream ${index}`, status: "running" } });
    taskIds.push(task.id);
  }
  return { key, taskIds };
}

/**
 * One append at a time per task, as a step's delta coalescer writes: a tick that finds the last
 * append still under way is skipped, so a slow database lowers the rate instead of queueing
 * appends without end. Counts each event by its commit time (createdAt), as the clients do.
 */
function generate(rate: number) {
  const everyMs = 1000 / rate;
  timers = taskIds.map((taskId) => {
    let busy = false;
    return setInterval(() => {
      if (busy) return;
      busy = true;
      appendRunEvent(taskId, "agent.delta", { stepId: "research", text: "token token token ", t: Date.now() })
        .then((event) => stamps.push(Date.parse(event.createdAt)))
        .catch(() => undefined)
        .finally(() => (busy = false));
    }, everyMs);
  });
}

async function waitForStatus(id: string, statuses: string[]) {
  for (;;) {
    const { rows } = await getPool().query<{ status: string }>(`SELECT status FROM "Task" WHERE id = $1`, [id]);
    if (statuses.includes(rows[0]?.status ?? "")) return rows[0]!.status;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function control(request: IncomingMessage, response: ServerResponse) {
  const url = new URL(request.url ?? "/", "http://control");
  const send = (body: unknown) => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  if (url.pathname === "/setup") return send(await setup(Number(url.searchParams.get("tasks"))));
  if (url.pathname === "/generate") return send((generate(Number(url.searchParams.get("rate"))), { ok: true }));
  if (url.pathname === "/generated") {
    const [from, to] = [Number(url.searchParams.get("from")), Number(url.searchParams.get("to"))];
    return send({ count: stamps.filter((t) => t >= from && t <= to).length });
  }
  if (url.pathname === "/positions") {
    const { rows } = await getPool().query<{ id: string; lastSeq: number }>(`SELECT id, "lastSeq" FROM "Task" WHERE id = ANY($1)`, [
      taskIds,
    ]);
    return send(Object.fromEntries(rows.map((row) => [row.id, row.lastSeq])));
  }
  if (url.pathname === "/stop") {
    timers.forEach((timer) => clearInterval(timer));
    timers = [];
    return send({ ok: true });
  }
  if (url.pathname === "/task") {
    const task = await createTask(caller!, { prompt: "Research rainwater tanks, analyse the costs and summarise.", requireApproval: true });
    await waitForStatus(task.id, ["awaiting_approval"]);
    return send({ id: task.id });
  }
  const approve = /^\/task\/([^/]+)\/approve$/.exec(url.pathname);
  if (approve) {
    const started = performance.now();
    await approveTask(caller!, approve[1]!, {});
    const status = await waitForStatus(approve[1]!, ["completed", "failed", "cancelled"]);
    return send({ ms: performance.now() - started, status });
  }
  response.writeHead(404).end();
}

createServer((request, response) => {
  control(request, response).catch((error: unknown) => response.writeHead(500).end(String(error)));
}).listen(Number(process.env.CONTROL_PORT), "127.0.0.1", () => console.log("ready"));

process.on("SIGTERM", () => {
  void stopExecutor().finally(() => process.exit(0));
});
