import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { getPool } from "@/server/db/client";
import { clientBuilds, forgetTeamModelSetup, resolveModelChain } from "@/server/llm/model-service";
import { keyIdOf } from "@/server/secrets/master-keys";
import { rotateStoredSecrets } from "@/server/secrets/stored-secrets";
import { createTask } from "@/server/tasks/tasks";
import { createModelProvider, updateModelProvider, updateModelRouting } from "@/server/teams/model-providers";
import { anthropicKeyOf, startAnthropicModelsServer } from "../support/anthropic-models-server";
import { useApiServer } from "../support/api-server";
import { createTeamWithMembers, THREE_AGENT_PROMPT, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { startOpenAiWireServer } from "../support/openai-wire-server";

/**
 * A team's own provider keys (docs/models.md): each team's calls go to its provider with its key
 * and never another team's; a team with nothing configured uses the instance's provider; a key
 * is never answered, logged, streamed, put in step state or stored in clear; clients are built
 * once per provider configuration; routing and the key test say clearly what is wrong.
 * The providers are local servers speaking OpenAI's and Anthropic's wire formats, driven by the
 * real AI SDK and official clients.
 */
useEmbeddedExecutor();
const api = useApiServer();

const KEY_A = `sk-team-a-${randomBytes(12).toString("hex")}`;
const KEY_B = `sk-team-b-${randomBytes(12).toString("hex")}`;
const ANTHROPIC_KEY = `sk-ant-${randomBytes(12).toString("hex")}`;

let serverA: Awaited<ReturnType<typeof startOpenAiWireServer>>;
let serverB: Awaited<ReturnType<typeof startOpenAiWireServer>>;
let anthropic: Awaited<ReturnType<typeof startAnthropicModelsServer>>;
let teamA: Awaited<ReturnType<typeof createTeamWithMembers>>;
let teamB: Awaited<ReturnType<typeof createTeamWithMembers>>;
let providerA: { id: string };
let providerB: { id: string };
let adminKeyA: string;
const logged: string[] = [];

beforeAll(async () => {
  // Every line the server writes, at every level, for the scan at the end.
  process.env.LOG_LEVEL = "debug";
  const capture = (stream: NodeJS.WriteStream) => {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, "write").mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => {
      logged.push(String(chunk));
      return write(chunk, ...rest);
    }) as never);
  };
  capture(process.stdout);
  capture(process.stderr);
  serverA = await startOpenAiWireServer({ apiKey: KEY_A, model: "team-a-model" });
  serverB = await startOpenAiWireServer({ apiKey: KEY_B, model: "team-b-model" });
  anthropic = await startAnthropicModelsServer({ apiKey: ANTHROPIC_KEY });
  teamA = await createTeamWithMembers();
  teamB = await createTeamWithMembers();
  providerA = await createModelProvider(teamA.callers.admin, {
    name: "team-a-gateway",
    kind: "openai-compatible",
    baseUrl: serverA.baseURL,
    apiKey: KEY_A,
  });
  providerB = await createModelProvider(teamB.callers.admin, {
    name: "team-b-gateway",
    kind: "openai-compatible",
    baseUrl: serverB.baseURL,
    apiKey: KEY_B,
  });
  await updateModelRouting(teamA.callers.admin, { default: [{ providerId: providerA.id, model: "team-a-model" }] });
  await updateModelRouting(teamB.callers.admin, { default: [{ providerId: providerB.id, model: "team-b-model" }] });
  adminKeyA = (await createApiKey({ teamId: teamA.team.id, role: "admin", name: "admin" })).key;
});

afterAll(async () => {
  vi.restoreAllMocks();
  delete process.env.LOG_LEVEL;
  await Promise.all([serverA?.close(), serverB?.close(), anthropic?.close()]);
});

async function rest(method: string, path: string, body?: unknown) {
  const response = await fetch(`${api.baseURL}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKeyA}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    json: JSON.parse(text) as Record<string, unknown> & { error?: { message: string; field?: string } },
  };
}

describe("a team's provider keys", () => {
  it("serve the team's own calls, with its key and its model, and never another team's", async () => {
    const taskA = await createTask(teamA.callers.user, { prompt: THREE_AGENT_PROMPT });
    const taskB = await createTask(teamB.callers.user, { prompt: THREE_AGENT_PROMPT });
    expect(await waitForTaskStatus(taskA.id, ["completed", "failed"])).toBe("completed");
    expect(await waitForTaskStatus(taskB.id, ["completed", "failed"])).toBe("completed");

    // The planner (JSON) and the agents (streams) of each team reached its own server.
    expect(serverA.requests.some((request) => request.body.stream !== true)).toBe(true);
    expect(serverA.requests.some((request) => request.body.stream === true)).toBe(true);
    expect(serverB.requests.length).toBeGreaterThan(1);
    for (const request of serverA.requests) {
      expect(request.headers.authorization).toBe(`Bearer ${KEY_A}`);
      expect(request.body.model).toBe("team-a-model");
    }
    for (const request of serverB.requests) {
      expect(request.headers.authorization).toBe(`Bearer ${KEY_B}`);
      expect(request.body.model).toBe("team-b-model");
    }
  });

  it("a team that configured nothing gets the instance's provider, and with no instance key the offline model", async () => {
    const plain = await createTeamWithMembers();
    const instance = await startOpenAiWireServer({ model: "instance-model" });
    process.env.OPENAI_BASE_URL = instance.baseURL;
    try {
      const [link] = await resolveModelChain(plain.team.id, { role: "planner" });
      expect(link!.key).toMatch(/^env:openai-compatible:/);
      const task = await createTask(plain.callers.user, { prompt: THREE_AGENT_PROMPT });
      expect(await waitForTaskStatus(task.id, ["completed", "failed"])).toBe("completed");
      expect(instance.requests.length).toBeGreaterThan(1);
      for (const request of instance.requests) expect(request.headers.authorization).not.toMatch(/sk-team-/);
    } finally {
      delete process.env.OPENAI_BASE_URL;
      await instance.close();
    }
    const [offline] = await resolveModelChain(plain.team.id, { role: "agent", agentKind: "research" });
    expect(offline!.key).toMatch(/^env:offline:/);
  });

  it("a custom agent's own model id picks the model of the team default's first link", async () => {
    const chain = await resolveModelChain(teamA.team.id, { role: "agent", agentKind: "my-writer", modelId: "writer-model" });
    expect(chain.map((link) => link.key)).toEqual([`${providerA.id}:openai-compatible:writer-model`]);
    expect(chain[0]!.limits?.stallTimeoutMs).toBe(60_000);
  });

  it("builds a provider's client once per configuration: reused while unchanged, rebuilt when the key changes", async () => {
    const first = await resolveModelChain(teamA.team.id, { role: "planner" });
    const builds = clientBuilds.count;
    const again = await resolveModelChain(teamA.team.id, { role: "aggregator" });
    expect(again[0]!.model).toBe(first[0]!.model);
    expect(clientBuilds.count).toBe(builds);

    const rotated = `sk-team-a-new-${randomBytes(8).toString("hex")}`;
    await updateModelProvider(teamA.callers.admin, providerA.id, { apiKey: rotated });
    const after = await resolveModelChain(teamA.team.id, { role: "planner" });
    expect(after[0]!.model).not.toBe(first[0]!.model);
    expect(clientBuilds.count).toBe(builds + 1);
    expect((await rest("GET", `/api/v1/model-providers/${providerA.id}`)).json.keyLast4).toBe(rotated.slice(-4));
    // Back to the key the wire server accepts, for the tests after this one.
    await updateModelProvider(teamA.callers.admin, providerA.id, { apiKey: KEY_A });
  });
});

describe("the key test", () => {
  it("lists an OpenAI-compatible provider's models with its key, and names a refused key by status without echoing it", async () => {
    const ok = await rest("POST", `/api/v1/model-providers/${providerA.id}/test`);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ ok: true, models: ["team-a-model", "wire-test-other"] });

    const wrong = `sk-wrong-${randomBytes(12).toString("hex")}`;
    const refused = await rest("POST", "/api/v1/model-providers", {
      name: "wrong-key",
      kind: "openai-compatible",
      baseUrl: serverA.baseURL,
      apiKey: wrong,
    });
    expect(refused.status).toBe(201);
    const answer = await rest("POST", `/api/v1/model-providers/${refused.json.id as string}/test`);
    expect(answer.json).toMatchObject({ ok: false, error: "the key was refused (401)" });
    expect(answer.text).not.toContain(wrong);
    expect(logged.join("")).not.toContain(wrong);
  });

  it("lists an Anthropic provider's models with its key (200) and names a refused key (401)", async () => {
    const good = await rest("POST", "/api/v1/model-providers", {
      name: "claude",
      kind: "anthropic",
      baseUrl: anthropic.baseURL,
      apiKey: ANTHROPIC_KEY,
    });
    const ok = await rest("POST", `/api/v1/model-providers/${good.json.id as string}/test`);
    expect(ok.json).toMatchObject({ ok: true, models: ["claude-test-haiku", "claude-test-sonnet"] });
    expect(anthropicKeyOf(anthropic.requests.at(-1)!.headers)).toBe(ANTHROPIC_KEY);

    const wrong = `sk-ant-wrong-${randomBytes(12).toString("hex")}`;
    const bad = await rest("POST", "/api/v1/model-providers", {
      name: "claude-bad",
      kind: "anthropic",
      baseUrl: anthropic.baseURL,
      apiKey: wrong,
    });
    const refused = await rest("POST", `/api/v1/model-providers/${bad.json.id as string}/test`);
    expect(refused.json).toMatchObject({ ok: false, error: "the key was refused (401)" });
    expect(refused.text).not.toContain(wrong);
  });
});

describe("routing", () => {
  const link = () => ({ providerId: providerA.id, model: "team-a-model" });

  it.each([
    ["an unknown provider", { planner: [{ providerId: "nosuchprovider", model: "m" }] }, "planner.0.providerId"],
    ["an empty chain", { default: [] }, "default"],
    ["more than five models", { aggregator: Array.from({ length: 6 }, () => ({ providerId: "env", model: "m" })) }, "aggregator"],
    ["an agent kind the team does not have", { agents: { "no-such-agent": [{ providerId: "env", model: "m" }] } }, "agents.no-such-agent"],
    ["an unknown role", { reviewer: [{ providerId: "env", model: "m" }] }, "reviewer"],
  ])("refuses %s with a 400 naming the field", async (_what, body, field) => {
    const before = await rest("GET", "/api/v1/settings/models");
    const answer = await rest("PUT", "/api/v1/settings/models", body);
    expect(answer.status).toBe(400);
    expect(`${answer.json.error!.field} ${answer.json.error!.message}`).toContain(field);
    expect((await rest("GET", "/api/v1/settings/models")).json.routing).toEqual(before.json.routing);
  });

  it("stores per role and agent chains, and removes a deleted provider from them", async () => {
    const spare = await rest("POST", "/api/v1/model-providers", { name: "spare", kind: "openai", apiKey: "sk-spare-0123456789" });
    const spareLink = { providerId: spare.json.id as string, model: "gpt-4o-mini" };
    const saved = await rest("PUT", "/api/v1/settings/models", {
      default: [link()],
      planner: [spareLink, link()],
      agents: { research: [spareLink] },
    });
    expect(saved.status).toBe(200);
    const planner = await resolveModelChain(teamA.team.id, { role: "planner" });
    expect(planner.map((entry) => entry.key)).toEqual([
      `${spareLink.providerId}:openai:gpt-4o-mini`,
      `${providerA.id}:openai-compatible:team-a-model`,
    ]);

    expect((await rest("DELETE", `/api/v1/model-providers/${spareLink.providerId}`)).status).toBe(200);
    expect((await rest("GET", "/api/v1/settings/models")).json.routing).toEqual({ default: [link()], planner: [link()] });
    const research = await resolveModelChain(teamA.team.id, { role: "agent", agentKind: "research" });
    expect(research.map((entry) => entry.key)).toEqual([`${providerA.id}:openai-compatible:team-a-model`]);
  });
});

describe("a stored key", () => {
  it("appears in no API answer, log line, run event, step state or database row in clear", async () => {
    const answers = [
      await rest("GET", "/api/v1/model-providers"),
      await rest("GET", `/api/v1/model-providers/${providerA.id}`),
      await rest("GET", "/api/v1/settings/models"),
      await rest("PUT", `/api/v1/model-providers/${providerA.id}`, { stallTimeoutMs: 30_000 }),
    ];
    const listed = answers[0]!.json.providers as Array<Record<string, unknown>>;
    expect(listed.find((provider) => provider.id === providerA.id)).toMatchObject({ hasKey: true, keyLast4: KEY_A.slice(-4) });
    const pool = getPool();
    const stored = await pool.query(`SELECT row_to_json(p)::text AS text FROM "ModelProvider" p`);
    const events = await pool.query(`SELECT payload::text AS text FROM "RunEvent"`);
    const steps = await pool.query(`SELECT coalesce(data::text, '') || coalesce(error::text, '') AS text FROM "WorkflowStep"`);
    const runs = await pool.query(`SELECT row_to_json(r)::text AS text FROM "WorkflowRun" r`);
    expect(events.rows.length).toBeGreaterThan(0);
    expect(steps.rows.length).toBeGreaterThan(0);
    const everything = [
      ...answers.map((answer) => answer.text),
      ...logged,
      ...[stored, events, steps, runs].flatMap((result) => result.rows.map((row: { text: string }) => row.text)),
    ].join("\n");
    for (const key of [KEY_A, KEY_B, ANTHROPIC_KEY]) expect(everything).not.toContain(key);
    expect(stored.rows.map((row: { text: string }) => row.text).join("")).toContain("v1:");
  });
});

describe("a master key rotation", () => {
  it("re-encrypts provider keys; the next read builds a client from the new envelope and the team's calls still carry its key", async () => {
    const oldKey = process.env.CHORUS_MASTER_KEY!;
    const newKey = randomBytes(32);
    const before = await resolveModelChain(teamA.team.id, { role: "planner" });
    try {
      process.env.CHORUS_MASTER_KEY = newKey.toString("base64");
      process.env.CHORUS_MASTER_KEY_PREVIOUS = oldKey;
      await rotateStoredSecrets();
      const { rows } = await getPool().query<{ keyId: string }>(
        `SELECT split_part("apiKeyEncrypted", ':', 2) AS "keyId" FROM "ModelProvider" WHERE id = $1`,
        [providerA.id],
      );
      expect(rows[0]!.keyId).toBe(keyIdOf(newKey));
      // Only the new key from here on; the team's setup is read again (as it is after TEAM_SETUP_TTL_MS).
      delete process.env.CHORUS_MASTER_KEY_PREVIOUS;
      forgetTeamModelSetup(teamA.team.id);
      const after = await resolveModelChain(teamA.team.id, { role: "planner" });
      expect(after[0]!.model).not.toBe(before[0]!.model);

      const seen = serverA.requests.length;
      // Not from the response cache: an earlier test ran the same prompt.
      const task = await createTask(teamA.callers.user, { prompt: THREE_AGENT_PROMPT, cache: false });
      expect(await waitForTaskStatus(task.id, ["completed", "failed"])).toBe("completed");
      expect(serverA.requests.length).toBeGreaterThan(seen);
      for (const request of serverA.requests.slice(seen)) expect(request.headers.authorization).toBe(`Bearer ${KEY_A}`);
    } finally {
      process.env.CHORUS_MASTER_KEY = oldKey;
      delete process.env.CHORUS_MASTER_KEY_PREVIOUS;
    }
  });
});
