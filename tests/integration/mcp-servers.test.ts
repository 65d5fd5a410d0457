import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { getPool } from "@/server/db/client";
import { openMcpTools, type OpenMcpTools } from "@/server/mcp/agent-tools";
import { MAX_RESULT_CHARS } from "@/server/mcp/tool-results";
import { createMcpServer, refreshMcpServerTools } from "@/server/mcp/mcp-servers";
import { createTeamWithMembers } from "../support/fixtures";
import { useApiServer } from "../support/api-server";
import { startMcpTestServer, type McpTestServer } from "../support/mcp-test-server";

/**
 * MCP servers per team against a real MCP server (the official SDK's McpServer over Streamable
 * HTTP, tests/support/mcp-test-server.ts) that needs a bearer token: an admin registers it over
 * REST, refreshes its tools, and an agent's step opens them and calls them. The token goes to the
 * MCP server and nowhere else: not in any API answer, log line or database column in clear.
 */
process.env.LOG_LEVEL = "debug";
const api = useApiServer();
const TOKEN = `mcp-token-${randomBytes(12).toString("hex")}`;

let mcp: McpTestServer;
let teamId: string;
let admin: string;
let viewer: string;
const answers: string[] = [];
const logs: string[] = [];
const restoreWrites: Array<() => void> = [];

/** What the REST answers here hold, loosely: a server view, a list, or an error. */
interface Answer {
  id: string;
  tools: Array<{ name: string }>;
  error: { code: string; message: string; field?: string };
  [field: string]: unknown;
}

async function rest(method: string, path: string, key: string, body?: unknown) {
  const response = await fetch(`${api.baseURL}${path}`, {
    method,
    headers: { authorization: key, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  answers.push(text);
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Answer };
}

async function trpc(path: string, key: string, input: unknown, mutation = false) {
  const response = mutation
    ? await fetch(`${api.baseURL}/api/trpc/${path}`, {
        method: "POST",
        headers: { authorization: key, "content-type": "application/json" },
        body: JSON.stringify(input),
      })
    : await fetch(`${api.baseURL}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, {
        headers: { authorization: key },
      });
  const text = await response.text();
  answers.push(text);
  return { status: response.status, body: JSON.parse(text) as { result?: { data: Record<string, unknown> }; error?: unknown } };
}

async function closedPortUrl() {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/mcp`;
}

let notesId: string;

beforeAll(async () => {
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      logs.push(String(chunk));
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restoreWrites.push(() => (stream.write = original));
  }
  mcp = await startMcpTestServer(TOKEN);
  const { team } = await createTeamWithMembers();
  teamId = team.id;
  admin = `Bearer ${(await createApiKey({ teamId, role: "admin", name: "admin" })).key}`;
  viewer = `Bearer ${(await createApiKey({ teamId, role: "viewer", name: "viewer" })).key}`;
});

afterAll(async () => {
  await mcp.close();
  for (const restore of restoreWrites) restore();
});

describe("registering an MCP server", () => {
  it("stores it with header names only, and a refresh caches the tools with their annotations and the admin's overrides", async () => {
    const created = await rest("POST", "/api/v1/mcp-servers", admin, {
      name: "notes",
      url: mcp.url,
      headers: { Authorization: `Bearer ${TOKEN}` },
      tools: { whoami: { requiresApproval: true } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: "notes",
      transport: "http",
      headerNames: ["Authorization"],
      allowedAgents: "all",
      tools: [],
    });
    expect(created.body).not.toHaveProperty("headers");
    notesId = created.body.id;

    const refreshed = await rest("POST", `/api/v1/mcp-servers/${notesId}/refresh`, admin);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.lastError).toBeNull();
    expect(refreshed.body.toolsRefreshedAt).toEqual(expect.any(String));
    const tools = Object.fromEntries((refreshed.body.tools as Array<{ name: string }>).map((tool) => [tool.name, tool]));
    expect(Object.keys(tools).sort()).toEqual(["delete_note", "fails", "hang", "read_notes", "structured", "whoami"]);
    expect(tools.read_notes).toMatchObject({ annotations: { readOnlyHint: true }, requiresApproval: false, enabled: true });
    expect(tools.read_notes).toMatchObject({ inputSchema: { type: "object", properties: { repeat: { type: "integer" } } } });
    expect(tools.delete_note).toMatchObject({ annotations: { destructiveHint: true }, requiresApproval: true });
    expect(tools.whoami).toMatchObject({ requiresApproval: true, approvalOverride: true });
    expect(tools.fails).toMatchObject({ requiresApproval: false, approvalOverride: null });
    // The MCP server was sent the decrypted header.
    expect(mcp.requests.at(-1)?.authorization).toBe(`Bearer ${TOKEN}`);

    const tested = await trpc("mcp.testConnection", admin, { id: notesId }, true);
    expect(tested.body.result?.data).toMatchObject({ ok: true, toolCount: 6, server: { name: "test-notes", version: "1.2.3" } });

    const listed = await rest("GET", "/api/v1/mcp-servers", viewer);
    expect(listed.body.servers).toHaveLength(1);
    expect((await rest("GET", `/api/v1/mcp-servers/${notesId}`, viewer)).body.tools).toHaveLength(6);
    expect((await trpc("mcp.list", viewer, undefined)).body.result?.data.servers).toHaveLength(1);
    expect((await trpc("mcp.get", viewer, { id: notesId })).body.result?.data.headerNames).toEqual(["Authorization"]);
  });

  it("refuses what it cannot safely store: a taken name, credentials in the URL, stdio unless the instance allows it, a new origin without headers", async () => {
    const taken = await rest("POST", "/api/v1/mcp-servers", admin, { name: "notes", url: mcp.url });
    expect(taken).toMatchObject({ status: 409, body: { error: { code: "conflict", field: "name" } } });
    const userinfo = await rest("POST", "/api/v1/mcp-servers", admin, { name: "userinfo", url: "https://bob:pw@mcp.example.com/mcp" });
    expect(userinfo).toMatchObject({ status: 400, body: { error: { field: "url" } } });
    const stdio = await rest("POST", "/api/v1/mcp-servers", admin, {
      name: "local",
      transport: "stdio",
      command: "node",
      args: ["server.js"],
    });
    expect(stdio).toMatchObject({ status: 400, body: { error: { code: "bad_request", field: "transport" } } });
    expect(stdio.body.error.message).toMatch(/CHORUS_MCP_ALLOW_STDIO/);
    const noUrl = await rest("POST", "/api/v1/mcp-servers", admin, { name: "nourl" });
    expect(noUrl).toMatchObject({ status: 400, body: { error: { field: "url" } } });
    const reserved = await rest("POST", "/api/v1/mcp-servers", admin, {
      name: "reserved",
      url: mcp.url,
      headers: { "Mcp-Session-Id": "x" },
    });
    expect(reserved).toMatchObject({ status: 400, body: { error: { field: "headers" } } });

    // Moving the server elsewhere would send its token to whoever runs the new address.
    const moved = await rest("PUT", `/api/v1/mcp-servers/${notesId}`, admin, { url: "https://elsewhere.example.com/mcp" });
    expect(moved).toMatchObject({ status: 400, body: { error: { field: "headers" } } });
    const samePlace = await rest("PUT", `/api/v1/mcp-servers/${notesId}`, admin, { url: `${mcp.url}?v=2` });
    expect(samePlace.status).toBe(200);
    expect((await rest("PUT", `/api/v1/mcp-servers/${notesId}`, admin, { url: mcp.url })).status).toBe(200);

    // A viewer reads, never changes.
    expect((await rest("PUT", `/api/v1/mcp-servers/${notesId}`, viewer, { enabled: false })).status).toBe(403);
  });
});

describe("an agent's MCP tools", () => {
  let opened: OpenMcpTools | undefined;
  afterAll(async () => opened?.close());

  it("are named model-safely, carry their JSON Schema and approval, and call the real server with the team's token", async () => {
    opened = await openMcpTools(teamId, "research");
    expect(opened.unavailable).toEqual([]);
    const byName = Object.fromEntries(opened.tools.map((tool) => [tool.name, tool]));
    expect(Object.keys(byName).sort()).toEqual([
      "mcp_notes_delete_note",
      "mcp_notes_fails",
      "mcp_notes_hang",
      "mcp_notes_read_notes",
      "mcp_notes_structured",
      "mcp_notes_whoami",
    ]);
    for (const tool of opened.tools) expect(tool.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(byName.mcp_notes_read_notes).toMatchObject({ serverName: "notes", toolName: "read_notes", needsApproval: false });
    expect(byName.mcp_notes_read_notes!.inputSchema).toMatchObject({ type: "object", properties: { repeat: { type: "integer" } } });
    expect(byName.mcp_notes_delete_note!.needsApproval).toBe(true);
    expect(byName.mcp_notes_whoami!.needsApproval).toBe(true); // the admin's override

    expect(await byName.mcp_notes_whoami!.call({})).toEqual({ text: "You are alice", isError: false });
    expect(await byName.mcp_notes_read_notes!.call({})).toEqual({ text: "buy milk\ncall Ada", isError: false });
    expect(await byName.mcp_notes_delete_note!.call({ text: "buy milk" })).toEqual({ text: 'Deleted "buy milk"', isError: false });
    expect(mcp.notes).toEqual(["call Ada"]);
    expect(await byName.mcp_notes_structured!.call({})).toEqual({ text: '{"count":1}', isError: false });
    expect(await byName.mcp_notes_fails!.call({})).toEqual({ text: "the notebook is locked", isError: true });
    const invalid = await byName.mcp_notes_read_notes!.call({ repeat: "many" });
    expect(invalid.isError).toBe(true);

    const flood = await byName.mcp_notes_read_notes!.call({ repeat: 5_000 });
    expect(flood.isError).toBe(false);
    expect(flood.text.length).toBeLessThan(MAX_RESULT_CHARS + 100);
    expect(flood.text).toMatch(/\[… \d+ more characters cut\]$/);
  });

  it("a call that never answers ends as an error after the call timeout, not a hung step; a cancelled one throws", async () => {
    process.env.CHORUS_MCP_CALL_TIMEOUT_MS = "200";
    try {
      const opened = await openMcpTools(teamId, "research");
      const hang = opened.tools.find((tool) => tool.toolName === "hang")!;
      const result = await hang.call({});
      // A cancelled step's call is not an answer to give the model: it throws, so the step stops.
      const cancel = new AbortController();
      const cancelled = hang.call({}, cancel.signal);
      cancel.abort();
      await expect(cancelled).rejects.toThrow();
      await opened.close();
      expect(result.isError).toBe(true);
      expect(result.text).toMatch(/hang of server notes failed: .*timed out/i);
    } finally {
      delete process.env.CHORUS_MCP_CALL_TIMEOUT_MS;
    }
  });

  it("follow the admin's choices: disabled tools and servers are left out, allowedAgents limits who sees a server", async () => {
    const updated = await rest("PUT", `/api/v1/mcp-servers/${notesId}`, admin, {
      tools: { hang: { enabled: false }, read_notes: { requiresApproval: true } },
    });
    expect(updated.body.tools.find((tool: { name: string }) => tool.name === "hang")).toMatchObject({ enabled: false });
    const limited = await rest("POST", "/api/v1/mcp-servers", admin, {
      name: "research-only",
      url: mcp.url,
      headers: { Authorization: `Bearer ${TOKEN}` },
      allowedAgents: ["research"],
    });
    expect(limited.status).toBe(201);
    const off = await rest("POST", "/api/v1/mcp-servers", admin, {
      name: "switched-off",
      url: mcp.url,
      headers: { Authorization: `Bearer ${TOKEN}` },
      enabled: false,
    });
    expect(off.status).toBe(201);

    const research = await openMcpTools(teamId, "research");
    const analysis = await openMcpTools(teamId, "analysis");
    await research.close();
    await analysis.close();
    const servers = (opened: OpenMcpTools) => [...new Set(opened.tools.map((tool) => tool.serverName))].sort();
    expect(servers(research)).toEqual(["notes", "research-only"]);
    expect(servers(analysis)).toEqual(["notes"]);
    expect(research.tools.map((tool) => tool.name)).not.toContain("mcp_notes_hang");
    expect(research.tools.find((tool) => tool.name === "mcp_notes_read_notes")!.needsApproval).toBe(true);
    expect(research.tools.find((tool) => tool.name === "mcp_research-only_whoami")).toBeDefined();

    expect((await rest("DELETE", `/api/v1/mcp-servers/${limited.body.id}`, admin)).status).toBe(200);
    expect((await rest("DELETE", `/api/v1/mcp-servers/${off.body.id}`, admin)).status).toBe(200);
    expect((await rest("GET", `/api/v1/mcp-servers/${off.body.id}`, admin)).status).toBe(404);
  });

  it("a server that cannot be reached, or refuses the token, is skipped and reported; the others still work", async () => {
    const down = await rest("POST", "/api/v1/mcp-servers", admin, {
      name: "down",
      url: await closedPortUrl(),
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    const refused = await rest("POST", "/api/v1/mcp-servers", admin, {
      name: "refused",
      url: mcp.url,
      headers: { Authorization: "Bearer wrong-token-value" },
    });
    const opened = await openMcpTools(teamId, "research");
    await opened.close();
    expect(opened.unavailable.map((entry) => entry.server).sort()).toEqual(["down", "refused"]);
    expect(opened.unavailable.find((entry) => entry.server === "down")!.reason).toMatch(/ECONNREFUSED/);
    expect(opened.unavailable.find((entry) => entry.server === "refused")!.reason).toMatch(/unauthorized/);
    expect(opened.tools.some((tool) => tool.serverName === "notes")).toBe(true);
    const logged = logs
      .join("")
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { message?: string; server?: string });
    expect(logged.some((line) => line.message?.startsWith("MCP server unavailable") && line.server === "down")).toBe(true);

    const refresh = await rest("POST", `/api/v1/mcp-servers/${down.body.id}/refresh`, admin);
    expect(refresh).toMatchObject({ status: 503, body: { error: { code: "unavailable" } } });
    expect(refresh.body.error.message).toMatch(/Could not list the tools of MCP server "down"/);
    expect((await rest("GET", `/api/v1/mcp-servers/${down.body.id}`, admin)).body.lastError).toEqual(expect.any(String));
    const test = await rest("POST", `/api/v1/mcp-servers/${refused.body.id}/test`, admin);
    expect(test).toMatchObject({ status: 200, body: { ok: false, error: expect.any(String) } });
  });
});

describe("stdio servers, where the instance allows them", () => {
  it("run the command, list and call its tools, and pass it none of Chorus's secrets", async () => {
    process.env.CHORUS_MCP_ALLOW_STDIO = "true";
    try {
      const { callers } = await createTeamWithMembers();
      const created = await createMcpServer(callers.admin, {
        name: "echo",
        transport: "stdio",
        command: process.execPath,
        args: ["tests/support/mcp-stdio-server.mjs"],
      });
      const refreshed = await refreshMcpServerTools(callers.admin, created.id);
      expect(refreshed.tools.map((tool) => tool.name)).toEqual(["echo", "leaked_env"]);
      const opened = await openMcpTools(callers.admin.teamId, "analysis");
      try {
        expect(opened.unavailable).toEqual([]);
        const echo = opened.tools.find((tool) => tool.name === "mcp_echo_echo")!;
        expect(echo.needsApproval).toBe(false);
        expect(await echo.call({ text: "hello" })).toEqual({ text: "echo: hello", isError: false });
        expect(await opened.tools.find((tool) => tool.name === "mcp_echo_leaked_env")!.call({})).toEqual({ text: "[]", isError: false });
      } finally {
        await opened.close();
      }
    } finally {
      delete process.env.CHORUS_MCP_ALLOW_STDIO;
    }
  });
});

describe("the header value", () => {
  it("appears in no API answer, no log line, and no database column in clear", async () => {
    expect(answers.length).toBeGreaterThan(20);
    for (const answer of answers) expect(answer).not.toContain(TOKEN);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join("")).not.toContain(TOKEN);
    const { rows } = await getPool().query<{ row: string }>(`SELECT row_to_json(s)::text AS row FROM "McpServer" s`);
    expect(rows.length).toBeGreaterThan(0);
    for (const { row } of rows) {
      expect(row).not.toContain(TOKEN);
      expect(row).not.toContain(Buffer.from(TOKEN).toString("base64"));
      expect(row).not.toContain(Buffer.from(TOKEN).toString("base64url"));
    }
    const { rows: stored } = await getPool().query<{ headersEncrypted: string }>(
      `SELECT "headersEncrypted" FROM "McpServer" WHERE id = $1`,
      [notesId],
    );
    expect(stored[0]!.headersEncrypted).toMatch(/^v1:[0-9a-f]{8}:/);
  });
});
