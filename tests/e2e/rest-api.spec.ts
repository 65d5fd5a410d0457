import { E2E_DATA_DIR } from "../../playwright.config";
import { expect, test } from "@playwright/test";
import { createApiKeyWithCli, runCli, waitForTask } from "./support";

const dataDir = E2E_DATA_DIR;

test.describe("REST API with team API keys", () => {
  let userKey: string;
  let viewerKey: string;
  let otherTeamKey: string;

  test.beforeAll(() => {
    userKey = createApiKeyWithCli(dataDir, "e2e-team", "user");
    viewerKey = createApiKeyWithCli(dataDir, "e2e-team", "viewer");
    const otherTeam = `other-${Date.now().toString(36)}`;
    runCli(dataDir, ["team", "create", otherTeam, "--name", "Other"]);
    otherTeamKey = createApiKeyWithCli(dataDir, otherTeam, "admin");
  });

  test("POST then GET a task until it completes with a result and three agent executions", async ({ request, baseURL }) => {
    const created = await request.post("/api/v1/tasks", {
      headers: { Authorization: `Bearer ${userKey}` },
      data: { prompt: "Summarise the trade-offs of heat pumps for a small office." },
    });
    expect(created.status()).toBe(201);
    const task = await created.json();
    expect(task.id).toMatch(/^[a-z0-9]+$/);
    expect(task.status).toBe("queued");

    const done = await waitForTask(request, baseURL!, userKey, task.id, (current) => ["completed", "failed"].includes(current.status));
    expect(done.status).toBe("completed");
    expect(done.result.markdown).toMatch(/heat pump/i);
    expect(done.executions.map((execution: { agent: string }) => execution.agent).sort()).toEqual(["analysis", "research", "synthesis"]);
    expect(done.executions.every((execution: { status: string }) => execution.status === "completed")).toBe(true);
    expect(done.usage.outputTokens).toBeGreaterThan(0);
    expect(done.durationMs).toBeGreaterThan(0);
  });

  test("bad input is a 400 naming the field; never a 500", async ({ request, baseURL }) => {
    const headers = { Authorization: `Bearer ${userKey}` };
    const missing = await request.post("/api/v1/tasks", { headers, data: {} });
    expect(missing.status()).toBe(400);
    expect((await missing.json()).error.field).toBe("prompt");

    const tooLong = await request.post("/api/v1/tasks", { headers, data: { prompt: "x".repeat(20_001) } });
    expect(tooLong.status()).toBe(400);
    expect((await tooLong.json()).error).toMatchObject({ code: "bad_request", field: "prompt" });

    const wrongType = await request.post("/api/v1/tasks", { headers, data: { prompt: 42 } });
    expect(wrongType.status()).toBe(400);

    const notJson = await request.post("/api/v1/tasks", { headers: { ...headers, "Content-Type": "application/json" }, data: "{not json" });
    expect(notJson.status()).toBe(400);
    expect((await notJson.json()).error.field).toBe("body");

    // Text Postgres cannot store (a NUL character), anywhere in the input.
    const withNul = await request.post("/api/v1/tasks", { headers, data: { prompt: "before\u0000after" } });
    expect(withNul.status()).toBe(400);
    expect((await withNul.json()).error).toMatchObject({ code: "bad_request", field: "prompt" });

    // A path that is not valid percent-encoding (Next alone would answer a bare 500).
    for (const [method, path] of [
      ["GET", "/api/v1/tasks/%ff"],
      ["POST", "/api/v1/tasks/%e2%82/cancel"],
    ] as const) {
      const malformed = await fetch(`${baseURL}${path}`, { method, headers });
      expect(malformed.status).toBe(400);
      expect((await malformed.json()).error).toMatchObject({ code: "bad_request", field: "path" });
    }
  });

  test("a method a route does not serve is a JSON 405 with Allow; an unknown path is a JSON 404", async ({ baseURL }) => {
    const headers = { Authorization: `Bearer ${userKey}` };
    const cases = [
      ["PUT", "/api/v1/tasks", "GET, POST, HEAD, OPTIONS"],
      ["DELETE", "/api/v1/tasks/abc123", "GET, HEAD, OPTIONS"],
      ["POST", "/api/v1/tasks/abc123", "GET, HEAD, OPTIONS"],
      ["GET", "/api/v1/tasks/abc123/cancel", "POST, OPTIONS"],
      ["PATCH", "/api/v1/agents", "GET, POST, HEAD, OPTIONS"],
      ["POST", "/api/v1/agents/helper", "GET, PUT, DELETE, HEAD, OPTIONS"],
      ["GET", "/api/v1/agents/helper/try", "POST, OPTIONS"],
      ["POST", "/api/tasks/abc123/events", "GET, HEAD, OPTIONS"],
      ["DELETE", "/api/health", "GET, HEAD, OPTIONS"],
      ["PUT", "/api/trpc/task.list", "GET, POST, HEAD, OPTIONS"],
      ["DELETE", "/api/inngest", "GET, POST, PUT, HEAD, OPTIONS"],
    ] as const;
    for (const [method, path, allow] of cases) {
      const response = await fetch(`${baseURL}${path}`, { method, headers });
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get("allow")).toBe(allow);
      expect(response.headers.get("content-type")).toContain("application/json");
      expect((await response.json()).error).toMatchObject({ code: "method_not_allowed", field: "method" });
      const options = await fetch(`${baseURL}${path}`, { method: "OPTIONS", headers });
      expect(options.status, `OPTIONS ${path}`).toBe(204);
      expect(options.headers.get("allow")).toBe(allow);
    }

    for (const [method, path] of [
      ["GET", "/api/v1/task"],
      ["POST", "/api/v1/tasks/abc123/pause"],
      ["DELETE", "/api/v1"],
    ] as const) {
      const response = await fetch(`${baseURL}${path}`, { method, headers });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect((await response.json()).error).toMatchObject({
        code: "not_found",
        field: "path",
        message: `No API endpoint at ${method} ${path}`,
      });
    }
  });

  test("keys are checked: missing or wrong is 401, a viewer cannot execute, other teams' tasks are invisible", async ({ request }) => {
    expect((await request.post("/api/v1/tasks", { data: { prompt: "hi" } })).status()).toBe(401);
    // The same over tRPC: no key and no session.
    const anonymous = await request.get("/api/trpc/task.list");
    expect(anonymous.status()).toBe(401);
    expect((await anonymous.json()).error.data).toMatchObject({ code: "UNAUTHORIZED", httpStatus: 401 });
    const wrong = await request.post("/api/v1/tasks", {
      headers: { Authorization: "Bearer chorus_abcdefgh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
      data: { prompt: "hi" },
    });
    expect(wrong.status()).toBe(401);
    const viewer = await request.post("/api/v1/tasks", { headers: { Authorization: `Bearer ${viewerKey}` }, data: { prompt: "hi" } });
    expect(viewer.status()).toBe(403);

    const created = await request.post("/api/v1/tasks", {
      headers: { Authorization: `Bearer ${userKey}` },
      data: { prompt: "A private task" },
    });
    const { id } = await created.json();
    expect((await request.get(`/api/v1/tasks/${id}`, { headers: { Authorization: `Bearer ${viewerKey}` } })).status()).toBe(200);
    const foreign = await request.get(`/api/v1/tasks/${id}`, { headers: { Authorization: `Bearer ${otherTeamKey}` } });
    expect(foreign.status()).toBe(404);
    const list = await (await request.get("/api/v1/tasks", { headers: { Authorization: `Bearer ${otherTeamKey}` } })).json();
    expect(list.tasks.find((task: { id: string }) => task.id === id)).toBeUndefined();
  });

  test("task actions: approve once (again is a 409), cancel a completed task is a 409, rerun from a plan step is a 201 that completes", async ({
    request,
    baseURL,
  }) => {
    const headers = { Authorization: `Bearer ${userKey}` };
    const created = await request.post("/api/v1/tasks", {
      headers,
      data: { prompt: "Research community fridges, then analyse and summarise how they cut food waste.", requireApproval: true },
    });
    expect(created.status()).toBe(201);
    const { id } = await created.json();
    const waiting = await waitForTask(request, baseURL!, userKey, id, (task) => task.status !== "queued" && task.status !== "running");
    expect(waiting.status).toBe("awaiting_approval");
    expect(waiting.executions).toEqual([]);

    const approved = await request.post(`/api/v1/tasks/${id}/approve`, { headers, data: {} });
    expect(approved.status()).toBe(200);
    const approvedTask = await approved.json();
    expect(approvedTask).toMatchObject({
      id,
      status: "running",
      approval: { approved: true, edited: false, apiKeyId: expect.any(String) },
    });
    const again = await request.post(`/api/v1/tasks/${id}/approve`, { headers, data: {} });
    expect(again.status()).toBe(409);
    expect(again.headers()["content-type"]).toContain("application/json");
    expect((await again.json()).error).toMatchObject({
      code: "conflict",
      field: "status",
      message: expect.stringMatching(/^Cannot approve a task that is (running|completed)/),
    });

    const done = await waitForTask(request, baseURL!, userKey, id, (task) => ["completed", "failed", "cancelled"].includes(task.status));
    expect(done.status).toBe("completed");
    const cancel = await request.post(`/api/v1/tasks/${id}/cancel`, { headers });
    expect(cancel.status()).toBe(409);
    expect(cancel.headers()["content-type"]).toContain("application/json");
    expect((await cancel.json()).error).toMatchObject({ code: "conflict", field: "status", message: expect.stringMatching(/completed/) });

    // Rerun from the plan's analysis step: the research before it is reused, the rest runs again.
    const steps: Array<{ id: string; agent: string }> = done.plan.steps;
    const fromStep = steps.find((step) => step.agent === "analysis")!.id;
    const research = done.executions.find((execution: { agent: string }) => execution.agent === "research");
    const rerun = await request.post(`/api/v1/tasks/${id}/rerun`, { headers, data: { fromStep } });
    expect(rerun.status()).toBe(201);
    const attempt = await rerun.json();
    expect(attempt.id).not.toBe(id);
    expect(rerun.headers()["location"]).toBe(`/api/v1/tasks/${attempt.id}`);
    expect(attempt).toMatchObject({ parentTaskId: id, rerunFromStep: fromStep, plan: { source: "rerun" } });
    expect(["queued", "running"]).toContain(attempt.status);
    expect(attempt.executions).toEqual([expect.objectContaining({ agent: "research", status: "completed", reusedFromId: research.id })]);
    const fromLocation = await request.get(rerun.headers()["location"]!, { headers });
    expect(fromLocation.status()).toBe(200);
    expect((await fromLocation.json()).id).toBe(attempt.id);

    // The original needed its plan approved, so the rerun does too.
    const rerunWaiting = await waitForTask(
      request,
      baseURL!,
      userKey,
      attempt.id,
      (task) => task.status !== "queued" && task.status !== "running",
    );
    expect(rerunWaiting).toMatchObject({ status: "awaiting_approval", requireApproval: true });
    expect((await request.post(`/api/v1/tasks/${attempt.id}/approve`, { headers, data: {} })).status()).toBe(200);
    const rerunDone = await waitForTask(request, baseURL!, userKey, attempt.id, (task) =>
      ["completed", "failed", "cancelled"].includes(task.status),
    );
    expect(rerunDone.status).toBe("completed");
    expect(rerunDone.result.markdown.length).toBeGreaterThan(0);
    const ran = rerunDone.executions.filter((execution: { reusedFromId: string | null }) => !execution.reusedFromId);
    expect(ran.map((execution: { agent: string }) => execution.agent).sort()).toEqual(["analysis", "synthesis"]);
    const original = await (await request.get(`/api/v1/tasks/${id}`, { headers })).json();
    expect(original.reruns).toEqual([attempt.id]);
    expect(original.status).toBe("completed");
  });

  test("task actions: a viewer key gets 403 and another team's key 404 on each, changing nothing; reject ends a waiting task cancelled", async ({
    request,
    baseURL,
  }) => {
    const headers = { Authorization: `Bearer ${userKey}` };
    const [gated, plain] = await Promise.all([
      request.post("/api/v1/tasks", { headers, data: { prompt: "Plan a repair café for the town hall.", requireApproval: true } }),
      request.post("/api/v1/tasks", { headers, data: { prompt: "Summarise the main kinds of tea." } }),
    ]);
    const waitingId: string = (await gated.json()).id;
    const completedId: string = (await plain.json()).id;
    await waitForTask(request, baseURL!, userKey, waitingId, (task) => task.status === "awaiting_approval");
    const completed = await waitForTask(request, baseURL!, userKey, completedId, (task) => task.status === "completed");
    const fromStep: string = completed.plan.steps[0].id;

    const actions = [
      [`/api/v1/tasks/${waitingId}/approve`, {}],
      [`/api/v1/tasks/${waitingId}/reject`, { reason: "not mine to decide" }],
      [`/api/v1/tasks/${waitingId}/cancel`, undefined],
      [`/api/v1/tasks/${completedId}/cancel`, undefined],
      [`/api/v1/tasks/${completedId}/rerun`, { fromStep }],
    ] as const;
    for (const [path, data] of actions) {
      const asViewer = await request.post(path, { headers: { Authorization: `Bearer ${viewerKey}` }, ...(data ? { data } : {}) });
      expect(asViewer.status(), `viewer: ${path}`).toBe(403);
      expect((await asViewer.json()).error, `viewer: ${path}`).toMatchObject({
        code: "forbidden",
        message: expect.stringMatching(/viewer/),
      });
      const foreign = await request.post(path, { headers: { Authorization: `Bearer ${otherTeamKey}` }, ...(data ? { data } : {}) });
      expect(foreign.status(), `other team: ${path}`).toBe(404);
      expect((await foreign.json()).error, `other team: ${path}`).toEqual({ code: "not_found", message: "Task not found", field: "id" });
    }

    // Nothing the refused calls asked for happened.
    const stillWaiting = await (await request.get(`/api/v1/tasks/${waitingId}`, { headers })).json();
    expect(stillWaiting).toMatchObject({ status: "awaiting_approval", approval: null, error: null, executions: [] });
    const stillCompleted = await (await request.get(`/api/v1/tasks/${completedId}`, { headers })).json();
    expect(stillCompleted).toMatchObject({ status: "completed", reruns: [] });

    const rejected = await request.post(`/api/v1/tasks/${waitingId}/reject`, { headers, data: { reason: "Not this month" } });
    expect(rejected.status()).toBe(200);
    const rejectedTask = await rejected.json();
    expect(rejectedTask).toMatchObject({
      id: waitingId,
      status: "cancelled",
      error: "Plan rejected: Not this month",
      approval: { approved: false, reason: "Not this month", apiKeyId: expect.any(String) },
      executions: [],
    });
    expect(rejectedTask.completedAt).not.toBeNull();
    for (const action of ["approve", "reject"]) {
      const late = await request.post(`/api/v1/tasks/${waitingId}/${action}`, { headers, data: {} });
      expect(late.status(), action).toBe(409);
      expect((await late.json()).error).toMatchObject({ code: "conflict", field: "status", message: expect.stringMatching(/cancelled/) });
    }
    // It stays rejected: no agent runs after the decision.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await (await request.get(`/api/v1/tasks/${waitingId}`, { headers })).json()).toMatchObject({
      status: "cancelled",
      executions: [],
    });
  });

  test("creating the same team agent several times at once: one 201, the rest 409 on kind, never a 500", async ({ request }) => {
    const headers = { Authorization: `Bearer ${otherTeamKey}` };
    const agent = {
      kind: "grant-review",
      name: "Grant Reviewer",
      description: "Reviews grant applications.",
      instructions: "Check eligibility and budget.",
      capabilities: ["grant review"],
    };
    const responses = await Promise.all(Array.from({ length: 6 }, () => request.post("/api/v1/agents", { headers, data: agent })));
    const statuses = responses.map((response) => response.status()).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
    for (const response of responses.filter((candidate) => candidate.status() === 409)) {
      expect((await response.json()).error).toMatchObject({ code: "conflict", field: "kind" });
    }
  });

  test("health reports the database", async ({ request }) => {
    const response = await request.get("/api/health");
    expect(response.status()).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok", checks: { database: { status: "ok" } } });
  });
});
