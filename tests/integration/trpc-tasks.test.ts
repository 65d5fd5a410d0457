import { beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { getErrorShape } from "@trpc/server/unstable-core-do-not-import";
import { appRouter } from "@/server/api/root";
import { createCallerFactory, createTRPCContext } from "@/server/api/trpc";
import { createApiKey } from "@/server/auth/api-keys";
import { AppError } from "@/server/errors";
import { createTeamWithMembers, expectCompletedThreeAgentTask, THREE_AGENT_PROMPT, useEmbeddedExecutor } from "../support/fixtures";

/**
 * The task and agent procedures through the real tRPC router: API-key authentication from the
 * Authorization header, role checks, input validation and the errors clients see (the code, and
 * the `data.field` the errorFormatter derives from the AppError or ZodError behind it).
 */
useEmbeddedExecutor();

const createCaller = createCallerFactory(appRouter);
/** Each call a request of its own, as over HTTP: the caller is resolved from the header every time. */
const api = (authorization?: string) =>
  createCaller(() => createTRPCContext({ headers: new Headers(authorization ? { authorization } : {}) }));
type Api = ReturnType<typeof api>;

let user: Api, viewer: Api, admin: Api, outsider: Api;

beforeAll(async () => {
  const { team } = await createTeamWithMembers();
  const other = await createTeamWithMembers();
  const key = async (teamId: string, role: "admin" | "user" | "viewer") =>
    `Bearer ${(await createApiKey({ teamId, role, name: role })).key}`;
  [user, viewer, admin, outsider] = [
    api(await key(team.id, "user")),
    api(await key(team.id, "viewer")),
    api(await key(team.id, "admin")),
    api(await key(other.team.id, "user")),
  ];
});

/** The TRPCError a call fails with, and the shape its errorFormatter gives clients. Never a 500. */
async function failure(call: () => Promise<unknown>) {
  const error = await call().then(
    () => expect.fail("expected the call to fail"),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  const trpcError = error as TRPCError;
  expect(trpcError.code).not.toBe("INTERNAL_SERVER_ERROR");
  const shape = getErrorShape({
    config: appRouter._def._config,
    error: trpcError,
    type: "mutation",
    path: "task",
    input: undefined,
    ctx: undefined,
  });
  expect(shape.data).not.toHaveProperty("stack");
  return { code: trpcError.code, cause: trpcError.cause, data: shape.data, message: shape.message };
}

async function until(caller: Api, id: string, statuses: string[], timeout = 30_000) {
  await expect
    .poll(async () => (await caller.task.get({ id })).status, { timeout, interval: 50 })
    .toSatisfy((status: string) => statuses.includes(status));
  return caller.task.get({ id });
}

type Step = { id: string; agent: string; dependsOn: string[] };

describe("task procedures over tRPC", () => {
  it("creates a task and reads it until it completes with its result and executions", async () => {
    const created = await user.task.create({ prompt: `  ${THREE_AGENT_PROMPT}  ` });
    expect(created).toMatchObject({
      status: "queued",
      prompt: THREE_AGENT_PROMPT,
      requireApproval: false,
      plan: null,
      result: null,
      executions: [],
      parentTaskId: null,
    });
    const done = await until(user, created.id, ["completed", "failed"]);
    expectCompletedThreeAgentTask(done);
    expect(done.executions.every((execution) => execution.output !== null && execution.completedAt !== null)).toBe(true);
    const page = await viewer.task.list({ limit: 5 });
    expect(page.tasks.map((task) => task.id)).toContain(created.id);
  });

  it("waits for approval, runs the approved or edited plan, and refuses a second approval as a conflict on status", async () => {
    const [plain, edited] = await Promise.all(
      ["Plan a community repair café", "Research rain gardens and write a guide."].map((prompt) =>
        user.task.create({ prompt, requireApproval: true }),
      ),
    );
    const waiting = await until(user, edited!.id, ["awaiting_approval"]);
    await until(user, plain!.id, ["awaiting_approval"]);
    expect(waiting.executions).toEqual([]);

    expect((await user.task.approve({ id: plain!.id })).status).toBe("running");
    const steps = (waiting.plan as { steps: Step[] }).steps;
    const research = steps.find((step) => step.agent === "research")!;
    const synthesis = steps.find((step) => step.agent === "synthesis")!;
    for (const plan of ["garbage", { steps: [{ ...synthesis, agent: "nobody" }] }, { steps: [{ ...synthesis, dependsOn: ["missing"] }] }]) {
      expect(await failure(() => user.task.approve({ id: edited!.id, plan }))).toMatchObject({
        code: "BAD_REQUEST",
        data: { field: "plan" },
      });
    }
    const approved = await admin.task.approve({ id: edited!.id, plan: { steps: [research, { ...synthesis, dependsOn: [research.id] }] } });
    expect(approved).toMatchObject({ status: "running", approval: { approved: true, edited: true }, plan: { edited: true } });

    const plainDone = await until(user, plain!.id, ["completed", "failed"]);
    expect(plainDone.status).toBe("completed");
    expect(plainDone.executions.length).toBeGreaterThan(0);
    expect(plainDone.executions.every((execution) => execution.status === "completed")).toBe(true);
    const done = await until(user, edited!.id, ["completed", "failed"]);
    expect(done.status).toBe("completed");
    expect(done.executions.map((execution) => execution.agent)).toEqual(["research", "synthesis"]);

    const again = await failure(() => user.task.approve({ id: plain!.id }));
    expect(again.code).toBe("CONFLICT");
    expect(again.data).toMatchObject({ code: "CONFLICT", httpStatus: 409, field: "status" });
    expect(again.cause).toBeInstanceOf(AppError);
    expect(again.cause).toMatchObject({ code: "conflict", field: "status", message: expect.stringMatching(/completed/) });
  });

  it("rejects, refuses to cancel a completed task, and reruns from a step as a new linked task", async () => {
    const gated = await user.task.create({ prompt: "Plan a seed library", requireApproval: true });
    await until(user, gated.id, ["awaiting_approval"]);
    expect(await user.task.reject({ id: gated.id, reason: "  Not this season " })).toMatchObject({
      status: "cancelled",
      error: "Plan rejected: Not this season",
    });

    const original = await user.task.create({ prompt: "Research solar ovens and recommend one for camping." });
    const first = await until(user, original.id, ["completed", "failed"]);
    expect(first.status).toBe("completed");
    const cancel = await failure(() => user.task.cancel({ id: original.id }));
    expect(cancel).toMatchObject({ code: "CONFLICT", data: { field: "status" } });

    const analysis = first.executions.find((execution) => execution.agent === "analysis")!;
    const rerun = await user.task.rerun({ id: original.id, fromStep: analysis.stepId, input: "Focus on weight." });
    expect(rerun).toMatchObject({ parentTaskId: original.id, rerunFromStep: analysis.stepId });
    const second = await until(user, rerun.id, ["completed", "failed"]);
    expect(second.status).toBe("completed");
    expect(second.executions.find((execution) => execution.agent === "research")!.reusedFromId).toBe(
      first.executions.find((e) => e.agent === "research")!.id,
    );
    expect((await user.task.get({ id: original.id })).reruns).toEqual([rerun.id]);

    // A rerun of an approval-gated task (here: a rejected one) waits for approval again.
    const fromStep = ((await user.task.get({ id: gated.id })).plan as { steps: Step[] }).steps[0]!.id;
    const gatedRerun = await user.task.rerun({ id: gated.id, fromStep });
    expect(gatedRerun).toMatchObject({ parentTaskId: gated.id, requireApproval: true });
    await until(user, gatedRerun.id, ["awaiting_approval"]);
    await user.task.approve({ id: gatedRerun.id });
    expect((await until(user, gatedRerun.id, ["completed", "failed"])).status).toBe("completed");
  });

  it("answers bad input with BAD_REQUEST naming the field", async () => {
    const task = await user.task.create({ prompt: "Summarise the main kinds of tea." });
    const done = await until(user, task.id, ["completed", "failed"]);
    const bad = {
      prompt: [
        () => user.task.create({ prompt: "x".repeat(20_001) }),
        () => user.task.create({ prompt: "" }),
        () => user.task.create({ prompt: "   " }),
        () => user.task.create({ prompt: 42 as never }),
        () => user.task.create({ prompt: "a\u0000b" }),
      ],
      requireApproval: [() => user.task.create({ prompt: "x", requireApproval: "yes" as never })],
      id: [() => user.task.get({ id: 7 as never }), () => user.task.get({} as never)],
      limit: [() => user.task.list({ limit: 0 }), () => user.task.list({ limit: "many" as never })],
      cursor: [() => user.task.list({ cursor: "nope" }), () => user.task.list({ cursor: 5 as never })],
      fromStep: [
        () => user.task.rerun({ id: task.id, fromStep: "nope" }),
        () => user.task.rerun({ id: task.id, fromStep: "" }),
        () => user.task.rerun({ id: task.id, fromStep: 3 as never }),
      ],
      input: [() => user.task.rerun({ id: task.id, fromStep: done.executions[0]!.stepId, input: 5 as never })],
      reason: [() => user.task.reject({ id: task.id, reason: 5 as never })],
      kind: [() => admin.agent.create({ kind: "Not A Slug", name: "n", description: "d", instructions: "i", capabilities: ["c"] })],
    };
    for (const [field, calls] of Object.entries(bad)) {
      for (const call of calls) {
        const { code, data } = await failure(call);
        expect({ field, code }).toEqual({ field, code: "BAD_REQUEST" });
        expect(data).toMatchObject({ httpStatus: 400, field });
      }
    }
    // Input no field names a single problem with: still a 400, never a 500.
    type Nested = { a?: Nested };
    const deep: Nested = {};
    for (let at = deep, depth = 0; depth < 40; depth++) at = at.a = {};
    for (const call of [
      () => user.task.create(undefined as never),
      () => user.task.cancel(null as never),
      () => user.task.approve({ id: task.id, plan: deep }),
    ]) {
      expect((await failure(call)).code).toBe("BAD_REQUEST");
    }
    const zod = await failure(() => user.task.create({ prompt: "" }));
    expect(zod.data.issues).toEqual([{ field: "prompt", message: "prompt must not be empty" }]);
  });

  it("lets a viewer read but not act, hides tasks from other teams, and refuses missing or invalid keys", async () => {
    const task = await user.task.create({ prompt: "Summarise the history of the bicycle." });
    expect((await viewer.task.get({ id: task.id })).id).toBe(task.id);
    expect((await viewer.agent.list()).agents.map((agent) => agent.kind)).toEqual(
      expect.arrayContaining(["research", "analysis", "synthesis"]),
    );
    for (const call of [
      () => viewer.task.create({ prompt: "hello" }),
      () => viewer.task.cancel({ id: task.id }),
      () => viewer.task.approve({ id: task.id }),
      () => viewer.task.reject({ id: task.id }),
      () => viewer.task.rerun({ id: task.id, fromStep: "research" }),
      () => user.agent.create({ kind: "poet", name: "Poet", description: "d", instructions: "i", capabilities: ["poetry"] }),
    ]) {
      expect(await failure(call)).toMatchObject({ code: "FORBIDDEN", data: { httpStatus: 403 } });
    }

    for (const call of [
      () => outsider.task.get({ id: task.id }),
      () => outsider.task.cancel({ id: task.id }),
      () => user.task.get({ id: "c" + "0".repeat(24) }),
    ]) {
      expect(await failure(call)).toMatchObject({ code: "NOT_FOUND", data: { field: "id" } });
    }
    expect((await outsider.task.list()).tasks).toEqual([]);
    await until(user, task.id, ["completed", "failed"]);

    const created = await admin.agent.create({
      kind: "poet",
      name: "Poet",
      description: "Writes verse",
      instructions: "Write a poem.",
      capabilities: ["poetry"],
    });
    expect(created).toMatchObject({ kind: "poet" });
    expect((await user.agent.list()).agents).toContainEqual(expect.objectContaining({ kind: "poet", builtIn: false }));
    expect(await admin.agent.delete({ kind: "poet" })).toEqual({ deleted: "poet" });
    expect(await failure(() => admin.agent.delete({ kind: "poet" }))).toMatchObject({ code: "NOT_FOUND", data: { field: "kind" } });

    const unauthorized = [
      () => api("Basic dXNlcjpwYXNz").task.list(),
      () => api("Bearer not-a-key").task.get({ id: task.id }),
      () => api(`Bearer chorus_abcdefgh_${"A".repeat(32)}`).task.create({ prompt: "" }),
    ];
    // (No Authorization header at all falls back to the signed-in session, which exists only
    // inside Next's request handling: tests/e2e/rest-api.spec.ts covers it over HTTP.)
    for (const call of unauthorized) expect(await failure(call)).toMatchObject({ code: "UNAUTHORIZED", data: { httpStatus: 401 } });
  });
});
