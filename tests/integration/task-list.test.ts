import { describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { getDb, getPool } from "@/server/db/client";
import { readTeamStatusEvents } from "@/server/db/queries/task-list";
import { appendRunEvent } from "@/server/events/run-events";
import { cancelTask } from "@/server/tasks/task-actions";
import { createTask, listTasks } from "@/server/tasks/tasks";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { useApiServer } from "../support/api-server";

/**
 * The task list (#21 §1, docs/dashboard.md): full-text search over prompts and results, filters
 * by status, agent, submitter and date, keyset pages that reach every task once, and the team
 * stream that tells the list when a task changes status — each only ever of the caller's team.
 */
useEmbeddedExecutor();
const api = useApiServer();

type TeamMembers = Awaited<ReturnType<typeof createTeamWithMembers>>;

/** Stores a task directly (no coordinator runs it), created `minutesAgo` before a fixed instant. */
async function storeTask(
  { team, callers }: TeamMembers,
  fields: { prompt: string; minutesAgo?: number; status?: "queued" | "completed" | "failed" | "cancelled" | "running"; result?: string },
) {
  return getDb().task.create({
    data: {
      teamId: team.id,
      createdById: callers.user.userId!,
      prompt: fields.prompt,
      status: fields.status ?? "completed",
      output: fields.result === undefined ? undefined : { text: fields.result, sources: [] },
      createdAt: new Date(Date.parse("2026-11-20T12:00:00Z") - (fields.minutesAgo ?? 0) * 60_000),
    },
  });
}

const idsOf = (page: { tasks: Array<{ id: string }> }) => page.tasks.map((task) => task.id);

describe("searching the task list", () => {
  it("finds words of prompts and of results, stemmed, and nothing of another team", async () => {
    const members = await createTeamWithMembers();
    const other = await createTeamWithMembers();
    const gardens = await storeTask(members, { prompt: "How do community gardens cut food costs?" });
    const tides = await storeTask(members, {
      prompt: "Summarise tidal energy",
      result: "Tidal turbines generate predictable electricity.",
    });
    await storeTask(members, { prompt: "Compare three CRM products" });
    await storeTask(other, { prompt: "Gardening in another team" });
    const search = (q: string) => listTasks(members.callers.viewer, { q }).then(idsOf);

    expect(await search("gardening")).toEqual([gardens.id]); // stemmed: gardening ~ gardens
    expect(await search("turbine")).toEqual([tides.id]); // a word only of the result
    expect(await search('"predictable electricity"')).toEqual([tides.id]);
    expect(await search("tidal -turbines")).toEqual([]);
    expect(await search("zeppelin")).toEqual([]);
    // A result written later is searchable too (the trigger re-indexes on output).
    await getDb().task.update({ where: { id: gardens.id }, data: { output: { text: "Allotments and zeppelins.", sources: [] } } });
    expect(await search("zeppelin")).toEqual([gardens.id]);
  });
});

describe("filtering the task list", () => {
  it("filters by several statuses, by agent, by submitter (member or key) and by date, each within the team", async () => {
    const members = await createTeamWithMembers();
    const { team, callers } = members;
    const queued = await storeTask(members, { prompt: "queued", status: "queued", minutesAgo: 60 * 24 * 3 });
    const failed = await storeTask(members, { prompt: "failed", status: "failed", minutesAgo: 60 * 24 * 2 });
    const completed = await storeTask(members, { prompt: "completed", status: "completed", minutesAgo: 60 });
    const key = await createApiKey({ teamId: team.id, role: "user", name: "ci-bot" });
    const byKey = await getDb().task.create({
      data: { teamId: team.id, apiKeyId: key.record.id, prompt: "by key", status: "running", createdAt: new Date("2026-11-20T12:00:00Z") },
    });
    await getDb().agentExecution.create({
      data: { taskId: failed.id, teamId: team.id, stepKey: "research", agentKind: "research", status: "failed", input: {} },
    });
    await getDb().agentExecution.create({
      data: { taskId: completed.id, teamId: team.id, stepKey: "summary", agentKind: "synthesis", status: "completed", input: {} },
    });
    const list = (input: Record<string, unknown>) => listTasks(callers.viewer, input).then(idsOf);

    expect(await list({ status: ["queued", "failed"] })).toEqual([failed.id, queued.id]);
    expect(await list({ status: "queued,running" })).toEqual([byKey.id, queued.id]); // a query string's comma list
    expect(await list({ status: "completed" })).toEqual([completed.id]);
    expect(await list({ agent: "research" })).toEqual([failed.id]);
    expect(await list({ agent: "synthesis" })).toEqual([completed.id]);
    expect(await list({ submitter: `api_key:${key.record.id}` })).toEqual([byKey.id]);
    expect(await list({ submitter: `user:${callers.user.userId}` })).toEqual([completed.id, failed.id, queued.id]);
    expect(await list({ createdFrom: "2026-11-18", createdTo: "2026-11-18" })).toEqual([failed.id]); // the whole day
    expect(await list({ createdFrom: "2026-11-20T11:30:00Z" })).toEqual([byKey.id]);
    expect(await list({ createdTo: "2026-11-17" })).toEqual([queued.id]);
    expect(await list({ status: ["failed", "completed"], agent: "synthesis", q: "completed" })).toEqual([completed.id]);

    const page = await listTasks(callers.viewer, { submitter: `api_key:${key.record.id}` });
    expect(page.tasks[0]).toMatchObject({ submitter: { type: "api_key", id: key.record.id, name: "ci-bot" }, parentTaskId: null });
    const mine = await listTasks(callers.viewer, { status: "completed" });
    expect(mine.tasks[0]!.submitter).toEqual({ type: "user", id: callers.user.userId, name: expect.stringContaining("@test.dev") });

    // Another team filtering by this team's key or member sees nothing.
    const other = await createTeamWithMembers();
    expect(await listTasks(other.callers.admin, { submitter: `api_key:${key.record.id}` }).then(idsOf)).toEqual([]);
    expect(await listTasks(other.callers.admin, { agent: "research" }).then(idsOf)).toEqual([]);
  });

  it("marks reruns with the task they rerun", async () => {
    const members = await createTeamWithMembers();
    const original = await storeTask(members, { prompt: "original", minutesAgo: 5 });
    const rerun = await getDb().task.create({
      data: { teamId: members.team.id, prompt: "original", parentTaskId: original.id, rerunFromStep: "research", status: "queued" },
    });
    const page = await listTasks(members.callers.viewer, {});
    expect(page.tasks.find((task) => task.id === rerun.id)!.parentTaskId).toBe(original.id);
    expect(page.tasks.find((task) => task.id === original.id)!.parentTaskId).toBeNull();
  });

  it("answers 400 naming the field for bad input, over REST too", async () => {
    const { callers, team } = await createTeamWithMembers();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ status: "sleeping" }, "status"],
      [{ status: ["queued", 3] }, "status"],
      [{ limit: 0 }, "limit"],
      [{ limit: "many" }, "limit"],
      [{ agent: "Not An Agent!" }, "agent"],
      [{ submitter: "someone" }, "submitter"],
      [{ createdFrom: "yesterday" }, "createdFrom"],
      [{ createdTo: "2026-13-45" }, "createdTo"],
      [{ createdFrom: "2026-11-20", createdTo: "2026-11-19" }, "createdTo"],
      [{ q: "x".repeat(501) }, "q"],
    ];
    for (const [input, field] of cases) {
      await expect(listTasks(callers.viewer, input), JSON.stringify(input)).rejects.toMatchObject({ code: "bad_request", field });
    }
    const key = `Bearer ${(await createApiKey({ teamId: team.id, role: "viewer", name: "reader" })).key}`;
    for (const [query, field] of [
      ["status=queued&status=sleeping", "status"],
      ["createdFrom=soon", "createdFrom"],
      ["limit=1000", "limit"],
    ] as const) {
      const response = await fetch(`${api.baseURL}/api/v1/tasks?${query}`, { headers: { authorization: key } });
      expect(response.status, query).toBe(400);
      expect((await response.json()).error.field, query).toBe(field);
    }
    const repeated = await fetch(`${api.baseURL}/api/v1/tasks?status=queued&status=failed&q=anything`, { headers: { authorization: key } });
    expect(repeated.status).toBe(200);
  });
});

describe("paging through the task list", () => {
  it("reaches every one of more than 50 tasks once, in order, with and without a filter", async () => {
    const members = await createTeamWithMembers();
    const stored: string[] = [];
    // 130 tasks, pairs sharing a createdAt, so the keyset's tie-break on id matters.
    for (let index = 0; index < 130; index++) {
      const task = await storeTask(members, {
        prompt: `Report ${index} on ${index % 2 ? "wind" : "solar"} power`,
        minutesAgo: Math.floor(index / 2),
        status: index % 3 ? "completed" : "failed",
      });
      stored.push(task.id);
    }
    const expectedAll = (
      await getDb().task.findMany({ where: { teamId: members.team.id }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] })
    ).map((task) => task.id);

    const walk = async (filter: Record<string, unknown>) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { tasks: Array<{ id: string }>; nextCursor: string | null } = await listTasks(members.callers.viewer, {
          ...filter,
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...idsOf(page));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      return { seen, pages };
    };
    const all = await walk({});
    expect(all.seen).toEqual(expectedAll);
    expect(all.pages).toBe(3); // 50 + 50 + 30
    expect(new Set(all.seen).size).toBe(130);
    // The dashboard's infinite query asks for the first page with a null cursor.
    expect(idsOf(await listTasks(members.callers.viewer, { cursor: null }))).toEqual(expectedAll.slice(0, 50));

    const failedSolar = await walk({ status: "failed", q: "solar", limit: 7 });
    const expected = (
      await getDb().task.findMany({
        where: { teamId: members.team.id, status: "failed", prompt: { contains: "solar" } },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      })
    ).map((task) => task.id);
    expect(expected.length).toBeGreaterThan(7);
    expect(failedSolar.seen).toEqual(expected);
  });

  it("reads a team's page, a search and the stream through their indexes, not a scan of every row", async () => {
    const { team } = await createTeamWithMembers();
    const client = await getPool().connect();
    const plan = async (sql: string, values: unknown[]) =>
      JSON.stringify((await client.query(`EXPLAIN (FORMAT JSON) ${sql}`, values)).rows[0]["QUERY PLAN"]);
    try {
      // Without statistics from enough rows the planner may prefer a scan; the plan's shape is
      // what is checked, as the prepared statements are planned: generically, parameters unknown.
      await client.query("SET enable_seqscan = off");
      await client.query("SET plan_cache_mode = force_generic_plan");
      expect(
        await plan(`SELECT id FROM "Task" t WHERE t."teamId" = $1 ORDER BY t."createdAt" DESC, t.id DESC LIMIT $2`, [team.id, 51]),
      ).toMatch(/Task_teamId_createdAt/);
      expect(
        await plan(
          `SELECT id FROM "Task" t WHERE t."teamId" = $1 AND t."searchVector" @@ websearch_to_tsquery('english'::regconfig, $2) ORDER BY t."createdAt" DESC LIMIT 51`,
          [team.id, "garden"],
        ),
      ).toMatch(/Task_searchVector_idx|Task_teamId_createdAt/);
      expect(
        await plan(
          `SELECT e.id FROM "RunEvent" e WHERE e.type IN ('task.created', 'task.planned', 'task.approved', 'task.completed', 'task.failed', 'task.cancelled', 'task.budget_exceeded')
             AND (e.xid, e.id) > ($1::text::xid8, $2::bigint) ORDER BY e.xid, e.id LIMIT $3`,
          ["0", "0", 500],
        ),
      ).toMatch(/RunEvent_xid_id_idx/);
    } finally {
      await client.query("RESET enable_seqscan");
      await client.query("RESET plan_cache_mode");
      client.release();
    }
  });
});

/** An open SSE response read event by event. */
function readEvents(response: Response) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const queue: Array<{ id?: string; event?: string; data?: string }> = [];
  return {
    /** Resolves with the next event (not comments or heartbeats). */
    async next(): Promise<{ id?: string; event?: string; data?: string }> {
      for (;;) {
        if (queue.length > 0) return queue.shift()!;
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split("\n")) {
            if (line.startsWith(":") || !line.includes(":")) continue;
            const at = line.indexOf(":");
            fields[line.slice(0, at)] = line.slice(at + 1).trim();
          }
          if (fields.event || fields.data) queue.push(fields);
        }
      }
    },
    /** Events until (and with) the first that `until` accepts. */
    async until(until: (event: { id?: string; event?: string; data?: string }) => boolean) {
      const seen = [];
      for (;;) {
        const event = await this.next();
        seen.push(event);
        if (until(event)) return seen;
      }
    },
    close: () => reader.cancel(),
  };
}

describe("the team stream", () => {
  it("sends the team's status changes as they happen, none of another team's, and resumes after an id", async () => {
    const { team, callers } = await createTeamWithMembers();
    const other = await createTeamWithMembers();
    const key = `Bearer ${(await createApiKey({ teamId: team.id, role: "viewer", name: "watcher" })).key}`;
    const open = (query = "", headers: Record<string, string> = {}) =>
      fetch(`${api.baseURL}/api/v1/events${query}`, { headers: { authorization: key, ...headers } });

    const response = await open();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const stream = readEvents(response);
    const ready = await stream.next();
    expect(ready.event).toBe("ready");

    const theirs = await createTask(other.callers.user, { prompt: "Another team's task" });
    const task = await createTask(callers.user, { prompt: "Research tidal energy, then analyse and summarise." });
    await waitForTaskStatus(task.id, ["completed", "failed"]);
    await waitForTaskStatus(theirs.id, ["completed", "failed"]);
    const live = await stream.until((event) => event.event === "task.completed" || event.event === "task.failed");
    await stream.close();
    const liveData = live.map((event) => JSON.parse(event.data!) as { taskId: string; type: string; status: string });
    expect(liveData.every((event) => event.taskId === task.id)).toBe(true);
    expect(live.map((event) => event.event)).toEqual(["task.created", "task.planned", "task.completed"]);
    expect(liveData.at(-1)!.status).toBe("completed");
    const ids = live.map((event) => event.id!);
    expect(new Set(ids).size).toBe(ids.length);

    // Resuming after the ready id replays the same events, in the same order, with the same ids.
    const replay = readEvents(await open(`?after=${ready.id}`));
    const replayed = await replay.until((event) => event.event === "task.completed");
    expect(replayed.map((event) => [event.id, event.event])).toEqual(live.map((event) => [event.id, event.event]));
    await replay.close();

    // Last-Event-ID (what a reconnecting EventSource sends) wins over ?after=; after the first event, the rest.
    const resumed = readEvents(await open(`?after=${ready.id}`, { "last-event-id": ids[0]! }));
    const rest = await resumed.until((event) => event.event === "task.completed");
    expect(rest.map((event) => event.id)).toEqual(ids.slice(1));

    // A cancel made now arrives live on the resumed stream, after what it replayed.
    const waiting = await createTask(callers.user, { prompt: "Needs approval first", requireApproval: true });
    await waitForTaskStatus(waiting.id, ["awaiting_approval"]);
    await cancelTask(callers.user, waiting.id);
    const later = await resumed.until((event) => event.event === "task.cancelled");
    expect(later.map((event) => event.event)).toEqual(["task.created", "task.planned", "task.cancelled"]);
    expect(later.map((event) => JSON.parse(event.data!).taskId)).toEqual([waiting.id, waiting.id, waiting.id]);
    expect(JSON.parse(later[1]!.data!).type).toBe("task.planned");
    await resumed.close();
  });

  it("never sends an event past one whose transaction is still open, so a resume point skips nothing", async () => {
    const { team, callers } = await createTeamWithMembers();
    const stored = (prompt: string) =>
      getDb().task.create({ data: { teamId: team.id, createdById: callers.user.userId!, prompt, status: "failed" } });
    const [slow, quick] = [await stored("slow transaction"), await stored("quick transaction")];
    const key = `Bearer ${(await createApiKey({ teamId: team.id, role: "viewer", name: "watcher" })).key}`;
    const stream = readEvents(await fetch(`${api.baseURL}/api/v1/events`, { headers: { authorization: key } }));
    const ready = await stream.next();
    const start = ready.id!.split("-");
    const readNow = () =>
      readTeamStatusEvents({ teamId: team.id, afterXid: start[0]!, afterId: start[1]!, limit: 10 }).then(({ events }) =>
        events.map((event) => event.taskId),
      );

    // The slow transaction appends first (the older transaction id and event id) and stays open...
    const open = await getPool().connect();
    try {
      await open.query("BEGIN");
      await open.query(`INSERT INTO "RunEvent" ("taskId", seq, type, payload) VALUES ($1, 100, 'task.failed', '{}')`, [slow.id]);
      // ...while a quick one appends and commits.
      await appendRunEvent(quick.id, "task.failed", { error: "quick" });
      // The quick event is held back: sending it would hand out a resume point past the slow one.
      expect(await readNow()).toEqual([]);
      await open.query("COMMIT");
    } finally {
      open.release();
    }
    expect(await readNow()).toEqual([slow.id, quick.id]);
    const [first, second] = [await stream.next(), await stream.next()];
    expect([JSON.parse(first.data!).taskId, JSON.parse(second.data!).taskId]).toEqual([slow.id, quick.id]);
    await stream.close();
  });

  it("sends an event appended by any path, and answers 400 naming `after` for a bad resume point", async () => {
    const { team, callers } = await createTeamWithMembers();
    const key = `Bearer ${(await createApiKey({ teamId: team.id, role: "viewer", name: "watcher" })).key}`;
    const stream = readEvents(await fetch(`${api.baseURL}/api/v1/events`, { headers: { authorization: key } }));
    expect((await stream.next()).event).toBe("ready");
    const stored = await getDb().task.create({
      data: { teamId: team.id, createdById: callers.user.userId!, prompt: "stored", status: "failed" },
    });
    await appendRunEvent(stored.id, "task.failed", { error: "probe" });
    const failed = await stream.next();
    expect(failed.event).toBe("task.failed");
    expect(JSON.parse(failed.data!)).toMatchObject({ taskId: stored.id, status: "failed" });
    await stream.close();

    for (const after of ["12", "abc-1", "1-", "99999999999999999999-1"]) {
      const response = await fetch(`${api.baseURL}/api/v1/events?after=${after}`, { headers: { authorization: key } });
      expect(response.status, after).toBe(400);
      expect((await response.json()).error.field, after).toBe("after");
    }
  });
});
