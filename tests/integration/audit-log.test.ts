import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { NextRequest } from "next/server";
import { beforeAll, describe, expect, it } from "vitest";
import { pruneAuditEvents } from "@/server/audit/audit-retention";
import { recordAudit } from "@/server/audit/record-audit";
import { createApiKey } from "@/server/auth/api-keys";
import type { Caller } from "@/server/auth/caller";
import { hashPassword } from "@/server/auth/password";
import { getDb, getPool } from "@/server/db/client";
import { insertAuditEvent } from "@/server/db/queries/audit-events";
import { createKnowledgeDocument, deleteKnowledgeDocument, replaceKnowledgeDocument } from "@/server/knowledge/documents";
import { createMcpServer, deleteMcpServer, testMcpServerConnection, updateMcpServer } from "@/server/mcp/mcp-servers";
import { approveTask, cancelTask, rejectTask, rerunTask } from "@/server/tasks/task-actions";
import { createTask } from "@/server/tasks/tasks";
import { approveToolCall, denyToolCall } from "@/server/tasks/tool-call-decisions";
import { createAgentDefinition, deleteAgentDefinition, updateAgentDefinition } from "@/server/teams/agent-definitions";
import { listAuditEvents } from "@/server/teams/audit-log";
import { updateBudgetSettings } from "@/server/teams/budget-settings";
import { updateModelCacheSettings } from "@/server/teams/model-cache-settings";
import {
  createModelProvider,
  deleteModelProvider,
  testModelProvider,
  updateModelProvider,
  updateModelRouting,
} from "@/server/teams/model-providers";
import { updateToolApprovalSettings } from "@/server/teams/tool-approvals";
import { updateFetchPolicy } from "@/server/web/fetch-policy";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  updateWebhookSettings,
} from "@/server/webhooks/webhook-endpoints";
import { sessionCookie, useApiServer } from "../support/api-server";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";

/**
 * The audit log (docs/audit-log.md): every wired action writes its row — who, what, to what,
 * from where — through the real services, the real REST routes and Auth.js's own route; admins
 * read it filtered and page by page, and export it as CSV or JSON Lines; no other team's row is
 * ever shown; no secret or prompt reaches it; old rows are pruned and recent ones kept.
 */
useEmbeddedExecutor();
const api = useApiServer();
process.env.AUTH_SECRET ??= randomBytes(32).toString("base64url");
const { GET: authGet, POST: authPost } = await import("@/app/api/auth/[...nextauth]/route");

const PROVIDER_KEY = `sk-audit-provider-${randomBytes(8).toString("hex")}`;
const MCP_HEADER = `audit-mcp-header-${randomBytes(8).toString("hex")}`;
const PASSWORD = `audit-password-${randomBytes(6).toString("hex")}`;
const PROMPT = `A prompt the audit log must never hold ${randomBytes(6).toString("hex")}`;

async function rowsOf(teamId: string) {
  return getDb().auditEvent.findMany({ where: { teamId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
}

async function actionsOf(teamId: string) {
  return (await rowsOf(teamId)).map((row) => row.action);
}

/** A user's browser through Auth.js's own route: the CSRF cookie and token, then the form post. */
async function authForm(path: string, fields: Record<string, string>, headers: Record<string, string>, cookie = "") {
  const csrf = await authGet(new NextRequest("http://127.0.0.1:3000/api/auth/csrf", { headers }));
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const cookies = [...csrf.headers.getSetCookie().map((setCookie) => setCookie.split(";")[0]), ...(cookie ? [cookie] : [])].join("; ");
  return authPost(
    new NextRequest(`http://127.0.0.1:3000${path}`, {
      method: "POST",
      headers: { ...headers, cookie: cookies, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...fields, csrfToken }),
    }),
  );
}

function chorusCli(...args: string[]) {
  const result = spawnSync("node", ["bin/chorus.mjs", ...args], { env: { ...process.env, LOG_LEVEL: "warn" }, encoding: "utf8" });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

async function apiGet(path: string, authorization: string) {
  return fetch(`${api.baseURL}${path}`, { headers: { authorization } });
}

describe("what is recorded", () => {
  let team: { id: string; slug: string };
  let callers: Record<"admin" | "user" | "viewer", Caller>;
  beforeAll(async () => {
    ({ team, callers } = await createTeamWithMembers());
  });

  it("password sign-in, a failed one on a known account, and sign-out — with address and user agent; an unknown email records nothing", async () => {
    const db = getDb();
    const admin = await db.user.update({ where: { id: callers.admin.userId! }, data: { passwordHash: await hashPassword(PASSWORD) } });
    const browser = { "user-agent": "AuditBrowser/1.0", "x-chorus-client-address": "203.0.113.7" };
    const failedBefore = await db.auditEvent.count({ where: { action: "auth.sign_in_failed" } });

    await authForm("/api/auth/callback/credentials", { email: "nobody-audit@test.dev", password: "whatever-1" }, browser);
    expect(await db.auditEvent.count({ where: { action: "auth.sign_in_failed" } })).toBe(failedBefore);

    await authForm("/api/auth/callback/credentials", { email: admin.email, password: "not-the-password" }, browser);
    const signedIn = await authForm("/api/auth/callback/credentials", { email: admin.email, password: PASSWORD }, browser);
    const session = signedIn.headers
      .getSetCookie()
      .map((setCookie) => setCookie.split(";")[0]!)
      .find((pair) => pair.startsWith("authjs.session-token="));
    expect(session).toBeDefined();
    await authForm("/api/auth/signout", {}, browser, session);

    const rows = (await rowsOf(team.id)).filter((row) => row.action.startsWith("auth."));
    expect(rows.map((row) => row.action)).toEqual(["auth.sign_in_failed", "auth.sign_in", "auth.sign_out"]);
    for (const row of rows) expect(row).toMatchObject({ actorType: "user", actorId: admin.id, targetType: "user", targetId: admin.id });
    expect(rows[0]).toMatchObject({ ipAddress: "203.0.113.7", userAgent: "AuditBrowser/1.0", details: { method: "password" } });
    expect(rows[1]).toMatchObject({ ipAddress: "203.0.113.7", userAgent: "AuditBrowser/1.0" });
  });

  it("task actions: create (over REST with an API key, from its address), approve, reject, cancel, rerun, tool-call approve and deny", async () => {
    const key = await createApiKey({ teamId: team.id, role: "user", name: "audit-rest" });
    const response = await fetch(`${api.baseURL}/api/v1/tasks`, {
      method: "POST",
      // The address is the socket's, as the custom server records it (server/main.ts): a header
      // a client sends under that name is overwritten.
      headers: {
        authorization: `Bearer ${key.key}`,
        "content-type": "application/json",
        "user-agent": "audit-script/2",
        "x-chorus-client-address": "198.51.100.4",
      },
      body: JSON.stringify({ prompt: PROMPT, requireApproval: true }),
    });
    expect(response.status).toBe(201);
    const viaRest = (await response.json()) as { id: string };
    const [created] = (await rowsOf(team.id)).filter((row) => row.action === "task.created");
    expect(created).toMatchObject({
      actorType: "api_key",
      actorId: key.record.id,
      targetType: "task",
      targetId: viaRest.id,
      ipAddress: "127.0.0.1",
      userAgent: "audit-script/2",
      details: { requireApproval: true, template: null },
    });

    await waitForTaskStatus(viaRest.id, ["awaiting_approval"]);
    await approveTask(callers.user, viaRest.id, {});
    const toReject = await createTask(callers.user, { prompt: PROMPT, requireApproval: true });
    await waitForTaskStatus(toReject.id, ["awaiting_approval"]);
    await rejectTask(callers.user, toReject.id, { reason: "no" });
    const rerun = await rerunTask(callers.admin, toReject.id, { fromStep: "research" });
    await waitForTaskStatus(rerun.id, ["awaiting_approval"]);

    // A tool call parked for approval on the rerun (which waits for its own plan's approval, so nothing else moves).
    const execution = await getDb().agentExecution.create({
      data: { taskId: rerun.id, teamId: team.id, stepKey: "research", agentKind: "research", status: "awaiting_tool_approval", input: {} },
    });
    for (const callId of ["call-approve", "call-deny"])
      await getDb().toolCall.create({
        data: {
          teamId: team.id,
          taskId: rerun.id,
          executionId: execution.id,
          stepKey: "research",
          callId,
          tool: "fetch_url",
          input: { url: "https://example.com/secret-path" },
          status: "awaiting_approval",
        },
      });
    await approveToolCall(callers.user, rerun.id, "call-approve", {});
    await denyToolCall(callers.user, rerun.id, "call-deny", { reason: "not that page" });
    await cancelTask(callers.user, rerun.id);

    const rows = (await rowsOf(team.id)).filter((row) => row.action.startsWith("task."));
    expect(rows.map((row) => [row.action, row.targetId])).toEqual([
      ["task.created", viaRest.id],
      ["task.approved", viaRest.id],
      ["task.created", toReject.id],
      ["task.rejected", toReject.id],
      ["task.rerun", toReject.id],
      ["task.tool_call_approved", rerun.id],
      ["task.tool_call_denied", rerun.id],
      ["task.cancelled", rerun.id],
    ]);
    const byAction = Object.fromEntries(rows.map((row) => [row.action, row]));
    expect(byAction["task.approved"]).toMatchObject({ actorType: "user", actorId: callers.user.userId, details: { edited: false } });
    expect(byAction["task.rerun"]).toMatchObject({ actorId: callers.admin.userId, details: { newTaskId: rerun.id, fromStep: "research" } });
    expect(byAction["task.tool_call_denied"]).toMatchObject({ details: { callId: "call-deny", tool: "fetch_url" } });
    expect(byAction["task.cancelled"]).toMatchObject({ details: { from: "awaiting_approval" } });
    await cancelTask(callers.user, viaRest.id).catch(() => undefined);
  });

  it("API keys from the CLI, with the CLI as the actor", async () => {
    const output = chorusCli("key", "create", "--team", team.slug, "--role", "viewer", "--name", "audit-cli-key");
    const key = await getDb().apiKey.findFirstOrThrow({ where: { teamId: team.id, name: "audit-cli-key" } });
    chorusCli("key", "revoke", key.id, "--team", team.slug);
    const rows = (await rowsOf(team.id)).filter((row) => row.action.startsWith("api_key."));
    expect(rows).toMatchObject([
      { action: "api_key.created", actorType: "cli", actorId: null, targetId: key.id, details: { name: "audit-cli-key", role: "viewer" } },
      { action: "api_key.revoked", actorType: "cli", actorId: null, targetId: key.id },
    ]);
    const printedKey = output.trim().split("\n").at(-1)!;
    expect(JSON.stringify(rows)).not.toContain(printedKey);
  });

  it("agents, settings, model providers and routing, MCP servers and knowledge documents", async () => {
    const admin = callers.admin;
    await createAgentDefinition(admin, { kind: "auditor", name: "Auditor", description: "d", instructions: "i", capabilities: ["c"] });
    await updateAgentDefinition(admin, "auditor", { name: "Auditor 2", description: "d", instructions: "i", capabilities: ["c"] });
    // An edit that changes nothing writes no version, and no row.
    await updateAgentDefinition(admin, "auditor", { name: "Auditor 2", description: "d", instructions: "i", capabilities: ["c"] });
    await deleteAgentDefinition(admin, "auditor");
    await updateToolApprovalSettings(admin, { tools: ["fetch_url"] });
    await updateFetchPolicy(admin, { allow: ["wiki.example"], deny: [] });
    await updateModelCacheSettings(admin, { enabled: false });
    await updateBudgetSettings(admin, { monthlyBudgetUsd: 250 });
    const provider = await createModelProvider(admin, {
      name: "local",
      kind: "openai-compatible",
      baseUrl: "http://127.0.0.1:9/v1",
      apiKey: PROVIDER_KEY,
    });
    await updateModelProvider(admin, provider.id, { apiKey: `${PROVIDER_KEY}-2` });
    await testModelProvider(admin, provider.id);
    await updateModelRouting(admin, { default: [{ providerId: provider.id, model: "local-model" }] });
    await deleteModelProvider(admin, provider.id);
    const mcp = await createMcpServer(admin, { name: "audit-mcp", url: "http://127.0.0.1:9/mcp", headers: { "X-Token": MCP_HEADER } });
    await updateMcpServer(admin, mcp.id, { enabled: false });
    await testMcpServerConnection(admin, mcp.id);
    await deleteMcpServer(admin, mcp.id);
    const document = await createKnowledgeDocument(callers.user, { json: { title: "Audit notes", text: "Secret plans for the garden." } });
    await replaceKnowledgeDocument(callers.user, document.id, { json: { title: "Audit notes", text: "Other plans." } });
    await deleteKnowledgeDocument(callers.user, document.id);

    const rows = (await rowsOf(team.id)).filter((row) => !row.action.startsWith("task.") && !row.action.startsWith("auth."));
    const actions = rows.map((row) => row.action).filter((action) => !action.startsWith("api_key."));
    expect(actions).toEqual([
      "agent.created",
      "agent.updated",
      "agent.deleted",
      "settings.tool_approvals_updated",
      "settings.fetch_policy_updated",
      "settings.model_cache_updated",
      "settings.budget_updated",
      "model_provider.created",
      "model_provider.updated",
      "model_provider.tested",
      "settings.model_routing_updated",
      "model_provider.deleted",
      "mcp_server.created",
      "mcp_server.updated",
      "mcp_server.tested",
      "mcp_server.deleted",
      "knowledge.created",
      "knowledge.replaced",
      "knowledge.deleted",
    ]);
    const byAction = Object.fromEntries(rows.map((row) => [row.action, row]));
    expect(byAction["agent.updated"]).toMatchObject({
      targetType: "agent",
      targetId: "auditor",
      details: { name: "Auditor 2", version: 2 },
    });
    expect(byAction["settings.fetch_policy_updated"]).toMatchObject({ details: { allow: ["wiki.example"], deny: [] } });
    expect(byAction["settings.budget_updated"]).toMatchObject({ details: { monthlyBudgetUsd: 250 } });
    expect(byAction["settings.model_cache_updated"]).toMatchObject({ details: { enabled: false } });
    expect(byAction["model_provider.updated"]).toMatchObject({ targetId: provider.id, details: { changed: ["apiKey"] } });
    expect(byAction["model_provider.tested"]).toMatchObject({ details: { ok: false } });
    expect(byAction["settings.model_routing_updated"]).toMatchObject({ details: { chains: ["default: local-model"] } });
    expect(byAction["mcp_server.created"]).toMatchObject({ targetId: mcp.id, details: { name: "audit-mcp", headerNames: ["X-Token"] } });
    expect(byAction["knowledge.created"]).toMatchObject({
      actorId: callers.user.userId,
      targetType: "knowledge_document",
      targetId: document.id,
      details: { title: "Audit notes" },
    });
  });

  it("webhook endpoints and the private-destination setting, never the signing secret", async () => {
    const { team, callers } = await createTeamWithMembers();
    await updateWebhookSettings(callers.admin, { allowPrivateDestinations: false });
    const { endpoint, secret } = await createWebhookEndpoint(callers.admin, {
      url: "https://hooks.example.com/chorus",
      events: ["task.completed"],
    });
    await updateWebhookEndpoint(callers.admin, endpoint.id, { enabled: false });
    const rotated = await rotateWebhookSecret(callers.admin, endpoint.id);
    await deleteWebhookEndpoint(callers.admin, endpoint.id);
    expect(await actionsOf(team.id)).toEqual([
      "settings.webhook_destinations_updated",
      "webhook.created",
      "webhook.updated",
      "webhook.secret_rotated",
      "webhook.deleted",
    ]);
    const rows = await rowsOf(team.id);
    expect(rows[1]).toMatchObject({ targetType: "webhook", targetId: endpoint.id, details: { events: ["task.completed"] } });
    expect(rows[2]!.details).toEqual({ fields: ["enabled"] });
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(rotated.secret);
  });

  it("holds no secret and no prompt: provider keys, MCP header values, API keys, passwords, task and document text", async () => {
    const { rows } = await getPool().query<{ row: string }>(`SELECT row_to_json(a)::text AS row FROM "AuditEvent" a`);
    const everything = rows.map((row) => row.row).join("\n");
    expect(rows.length).toBeGreaterThan(30);
    for (const secret of [PROVIDER_KEY, MCP_HEADER, PASSWORD, PROMPT, "Secret plans", "secret-path"])
      expect(everything).not.toContain(secret);
  });

  it("keeps details small and secret-free whatever a caller passes, and never fails the action when the insert does", async () => {
    await recordAudit(callers.admin, {
      action: "webhook.created",
      target: { type: "webhook", id: "w1" },
      details: {
        url: "https://hooks.example/x",
        secret: "whsec_abc",
        signingKey: "k",
        note: "x".repeat(500),
        nested: { a: 1 },
        leaked: "sk-abcdefghijklmnop",
      },
    });
    const [row] = (await rowsOf(team.id)).filter((candidate) => candidate.action === "webhook.created");
    expect(row!.details).toEqual({ url: "https://hooks.example/x", note: "x".repeat(200), leaked: "[redacted]" });
    // Postgres refuses a NUL in text: the insert fails, recordAudit still resolves.
    await expect(
      recordAudit({ ...callers.admin, client: { userAgent: "bad\u0000agent" } }, { action: "webhook.deleted" }),
    ).resolves.toBeUndefined();
    expect(await actionsOf(team.id)).not.toContain("webhook.deleted");
  });
});

describe("reading it", () => {
  let team: { id: string };
  let callers: Record<"admin" | "user" | "viewer", Caller>;
  let adminKey: string;
  let otherTeamEventId: string;
  beforeAll(async () => {
    ({ team, callers } = await createTeamWithMembers());
    const reader = await createApiKey({ teamId: team.id, role: "admin", name: "audit-reader" });
    adminKey = `Bearer ${reader.key}`;
    for (let index = 0; index < 5; index++) await updateBudgetSettings(callers.admin, { monthlyBudgetUsd: 100 + index });
    await updateFetchPolicy(callers.admin, { allow: ["a.example"], deny: [] });
    await createAgentDefinition(callers.admin, {
      kind: "formula",
      name: "Formula",
      description: "d",
      instructions: "i",
      capabilities: ["c"],
    });
    // A user agent is anyone's to choose: a spreadsheet must not run it as a formula.
    await recordAudit(
      { teamId: team.id, apiKeyId: reader.record.id, client: { userAgent: "=SUM(1,2)" } },
      { action: "webhook.test_sent", target: { type: "webhook", id: "w" } },
    );
    const other = await createTeamWithMembers();
    await updateBudgetSettings(other.callers.admin, { monthlyBudgetUsd: 9 });
    otherTeamEventId = (await rowsOf(other.team.id))[0]!.id;
  });

  it("is for admins: a user's or a viewer's key gets a 403, on the list and the export", async () => {
    for (const role of ["user", "viewer"] as const) {
      const key = `Bearer ${(await createApiKey({ teamId: team.id, role, name: role })).key}`;
      expect((await apiGet("/api/v1/audit", key)).status).toBe(403);
      expect((await apiGet("/api/v1/audit/export?format=csv", key)).status).toBe(403);
    }
    await expect(listAuditEvents(callers.user, {})).rejects.toMatchObject({ code: "forbidden" });
  });

  it("pages newest first with a cursor, through every row once, and never another team's", async () => {
    const seen: string[] = [];
    const times: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await apiGet(`/api/v1/audit?limit=2${cursor ? `&cursor=${cursor}` : ""}`, adminKey);
      expect(response.status).toBe(200);
      const page = (await response.json()) as { events: Array<{ id: string; createdAt: string }>; nextCursor: string | null };
      expect(page.events.length).toBeLessThanOrEqual(2);
      seen.push(...page.events.map((event) => event.id));
      times.push(...page.events.map((event) => event.createdAt));
      cursor = page.nextCursor;
    } while (cursor);
    const stored = await rowsOf(team.id);
    expect(seen).toEqual(stored.map((row) => row.id).reverse());
    expect([...times].sort().reverse()).toEqual(times);
    expect(seen).not.toContain(otherTeamEventId);
    expect((await apiGet("/api/v1/audit?cursor=not-a-cursor", adminKey)).status).toBe(400);
  });

  it("filters by action prefix, actor (email or id), target and time", async () => {
    const list = async (query: string) => {
      const response = await apiGet(`/api/v1/audit?${query}`, adminKey);
      expect(response.status, query).toBe(200);
      return ((await response.json()) as { events: Array<{ action: string; actor: { id: string; name: string | null }; target: unknown }> })
        .events;
    };
    const settings = await list("action=settings.");
    expect(settings.map((event) => event.action)).toEqual([
      "settings.fetch_policy_updated",
      ...Array<string>(5).fill("settings.budget_updated"),
    ]);
    expect(await list("action=settings.budget_updated")).toHaveLength(5);
    const admin = await getDb().user.findUniqueOrThrow({ where: { id: callers.admin.userId! } });
    const byEmail = await list(`actor=${encodeURIComponent(admin.email)}`);
    expect(byEmail).toHaveLength(7);
    expect(byEmail[0]!.actor).toMatchObject({ id: admin.id, name: admin.email });
    expect(await list(`actor=${admin.id}`)).toHaveLength(7);
    expect(await list("actor=nobody%40nowhere.dev")).toHaveLength(0);
    expect(await list("targetType=agent&targetId=formula")).toMatchObject([
      { action: "agent.created", target: { type: "agent", id: "formula" } },
    ]);
    expect(await list("from=2999-01-01")).toHaveLength(0);
    expect(await list("to=2000-01-01")).toHaveLength(0);
    const today = new Date().toISOString().slice(0, 10);
    expect(await list(`from=${today}&to=${today}`)).toHaveLength(8);
    expect((await apiGet("/api/v1/audit?from=yesterday", adminKey)).status).toBe(400);
    expect((await apiGet("/api/v1/audit?action=DROP%20TABLE", adminKey)).status).toBe(400);
  });

  it("exports the same rows as CSV (formulas defused) and as JSON Lines, streamed as a download", async () => {
    const stored = (await rowsOf(team.id)).reverse();
    const csv = await apiGet("/api/v1/audit/export?format=csv", adminKey);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect(csv.headers.get("content-disposition")).toMatch(/^attachment; filename="audit-log-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = (await csv.text()).split("\r\n").filter(Boolean);
    expect(lines[0]).toBe("createdAt,action,actorType,actorId,actorName,targetType,targetId,details,ipAddress,userAgent");
    expect(lines).toHaveLength(stored.length + 1);
    expect(lines[1]!.split(",").slice(0, 2)).toEqual([stored[0]!.createdAt.toISOString(), stored[0]!.action]);
    const formula = lines.find((line) => line.includes("webhook.test_sent"))!;
    expect(formula).toMatch(/,api_key,\w+,audit-reader,webhook,w,\{\},,"'=SUM\(1,2\)"$/);
    expect(lines.join("\n")).not.toContain(otherTeamEventId);

    const jsonl = await apiGet("/api/v1/audit/export?format=jsonl&action=settings.budget", adminKey);
    expect(jsonl.headers.get("content-type")).toContain("application/x-ndjson");
    const events = (await jsonl.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { id: string; action: string; details: { monthlyBudgetUsd: number } });
    expect(events.map((event) => event.details.monthlyBudgetUsd)).toEqual([104, 103, 102, 101, 100]);
    expect((await apiGet("/api/v1/audit/export?format=xml", adminKey)).status).toBe(400);
  });

  it("answers the dashboard's tRPC call with the same page, for an admin's session", async () => {
    const { cookie } = await sessionCookie({ userId: callers.admin.userId!, teamId: team.id });
    const input = encodeURIComponent(JSON.stringify({ action: "agent.", limit: 10 }));
    const response = await fetch(`${api.baseURL}/api/trpc/audit.list?input=${input}`, { headers: { cookie } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { result: { data: { events: Array<{ action: string }>; nextCursor: null } } };
    expect(body.result.data).toMatchObject({ events: [{ action: "agent.created" }], nextCursor: null });
  });
});

describe("retention", () => {
  it("prunes in batches only events older than the retention, of every team, and keeps the rest", async () => {
    const teams = [await createTeamWithMembers(), await createTeamWithMembers()];
    const day = 24 * 60 * 60 * 1000;
    const now = new Date();
    for (const { team } of teams)
      for (const ageDays of [400, 380, 366, 364, 1])
        await insertAuditEvent({
          teamId: team.id,
          actorType: "system",
          actorId: null,
          action: "settings.budget_updated",
          targetType: "probe",
          targetId: String(ageDays),
          details: {},
          ipAddress: null,
          userAgent: null,
          createdAt: new Date(now.getTime() - ageDays * day),
        });
    const before = await getDb().auditEvent.count();
    const deleted = await pruneAuditEvents({ now, retentionDays: 365, batchSize: 2 });
    expect(deleted).toBe(6);
    expect(await getDb().auditEvent.count()).toBe(before - 6);
    for (const { team } of teams) {
      const left = await getDb().auditEvent.findMany({ where: { teamId: team.id, targetType: "probe" }, select: { targetId: true } });
      expect(left.map((row) => row.targetId).sort()).toEqual(["1", "364"]);
    }
    expect(await pruneAuditEvents({ now, retentionDays: 365 })).toBe(0);
  });
});
