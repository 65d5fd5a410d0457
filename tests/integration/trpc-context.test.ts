import { describe, expect, it, vi } from "vitest";
import { TRPCError } from "@trpc/server";
import { appRouter } from "@/server/api/root";
import { chorusServices, type ChorusServices } from "@/server/api/services";
import { createCallerFactory, createTRPCContext } from "@/server/api/trpc";
import { createApiKey } from "@/server/auth/api-keys";
import type { Caller } from "@/server/auth/caller";
import { AppError } from "@/server/errors";
import { updateTeamRateLimits } from "@/server/rate-limit";
import { createTeamWithMembers } from "../support/fixtures";

/**
 * What the tRPC context hands a procedure: the caller its request's headers name and the
 * services it reaches data through. With stand-in services, what is left is the procedure's own
 * part — authenticate, check the permission, count the request — and it must hold before any
 * service runs.
 */
const createCaller = createCallerFactory(appRouter);

/** Services that answer with what they were handed, and count their calls. */
function recordingServices() {
  const answer = vi.fn(async (caller: Caller, ...args: unknown[]) => ({ caller, args }));
  const tasks = Object.fromEntries(Object.keys(chorusServices.tasks).map((name) => [name, answer]));
  const agents = Object.fromEntries(Object.keys(chorusServices.agents).map((name) => [name, answer]));
  return { services: { tasks, agents } as unknown as ChorusServices, answer };
}

async function keyHeaders(teamId: string, role: "admin" | "user" | "viewer") {
  return new Headers({ authorization: `Bearer ${(await createApiKey({ teamId, role, name: role })).key}` });
}

async function refusal(call: Promise<unknown>) {
  const error = await call.then(
    () => expect.fail("expected the call to be refused"),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe("the tRPC context", () => {
  it("hands each procedure the caller the headers name and the services it was built with", async () => {
    const { team } = await createTeamWithMembers();
    const { services, answer } = recordingServices();
    const api = createCaller(createTRPCContext({ headers: await keyHeaders(team.id, "user"), services }));

    const created = (await api.task.create({ prompt: "Plan a seed swap" })) as unknown as { caller: Caller; args: unknown[] };
    expect(created.caller).toMatchObject({ teamId: team.id, role: "user", apiKeyId: expect.any(String) });
    expect(created.args).toEqual([{ prompt: "Plan a seed swap", requireApproval: false, cache: true }]); // as the procedure parsed it, defaults filled in
    await api.task.approve({ id: "task-1", plan: { steps: [] } });
    expect(answer).toHaveBeenLastCalledWith(created.caller, "task-1", { plan: { steps: [] } });
  });

  it("resolves a request's caller once, however many calls its batch holds", async () => {
    const { team } = await createTeamWithMembers();
    const context = createTRPCContext({ headers: await keyHeaders(team.id, "viewer") });
    const first = context.resolveCaller();
    expect(context.resolveCaller()).toBe(first);
    expect(await first).toMatchObject({ teamId: team.id, role: "viewer" });
  });

  it("refuses a caller without credentials, or whose role lacks the permission, before any service runs", async () => {
    const { team } = await createTeamWithMembers();
    const { services, answer } = recordingServices();
    const anonymous = createCaller(createTRPCContext({ headers: new Headers(), services }));
    expect((await refusal(anonymous.task.list())).code).toBe("UNAUTHORIZED");

    const viewer = createCaller(createTRPCContext({ headers: await keyHeaders(team.id, "viewer"), services }));
    expect((await refusal(viewer.task.create({ prompt: "Plan a seed swap" }))).code).toBe("FORBIDDEN");
    const user = createCaller(createTRPCContext({ headers: await keyHeaders(team.id, "user"), services }));
    expect((await refusal(user.agent.delete({ kind: "probe" }))).code).toBe("FORBIDDEN");
    expect(answer).not.toHaveBeenCalled();
    await viewer.task.list();
    expect(answer).toHaveBeenCalledOnce();
  });

  it("refuses a call over its tier's limit with Retry-After, before the service runs", async () => {
    const { team } = await createTeamWithMembers();
    await updateTeamRateLimits(team.id, { set: { spend: { limit: 1, windowMs: 3_600_000 } } });
    const { services, answer } = recordingServices();
    const api = createCaller(createTRPCContext({ headers: await keyHeaders(team.id, "user"), services }));

    await api.task.create({ prompt: "Plan a seed swap" });
    const limited = await refusal(api.task.rerun({ id: "task-1", fromStep: "s1" }));
    expect(limited.code).toBe("TOO_MANY_REQUESTS");
    expect((limited.cause as AppError).headers).toHaveProperty("Retry-After");
    expect(answer).toHaveBeenCalledOnce();
    // Another tier is counted on its own.
    await api.task.cancel({ id: "task-1" });
    expect(answer).toHaveBeenCalledTimes(2);
  });

  it("maps a service's AppError to its tRPC code and hides an unexpected error", async () => {
    const { team } = await createTeamWithMembers();
    const { services } = recordingServices();
    const failing = {
      ...services,
      tasks: {
        ...services.tasks,
        get: async () => Promise.reject(new AppError("not_found", "Task not found", "id")),
        list: async () => Promise.reject(new Error("connection string postgres://chorus:secret@db")),
      },
    } as ChorusServices;
    const api = createCaller(createTRPCContext({ headers: await keyHeaders(team.id, "viewer"), services: failing }));

    expect(await refusal(api.task.get({ id: "missing" }))).toMatchObject({ code: "NOT_FOUND", message: "Task not found" });
    const hidden = await refusal(api.task.list());
    expect(hidden).toMatchObject({ code: "INTERNAL_SERVER_ERROR", message: "Something went wrong on our side" });
    expect(hidden.message).not.toContain("secret");
  });
});
