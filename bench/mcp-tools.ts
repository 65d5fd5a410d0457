/**
 * Benchmark — what Chorus adds to MCP tool use, against the bare SDK client on the same server.
 *
 * - secrets: encryptSecret / decryptSecret of a header set (µs per operation);
 * - opening a server's tools: Chorus's path (decrypt the headers, connect with the deadline, list
 *   the tools, build McpTools) against `new Client()` + connect + listTools with the headers in clear;
 * - one tool call: McpTool.call (timeout, flattening, the result cap) against client.callTool on
 *   the same open connection.
 * The server is the tests' real MCP server (the SDK's McpServer over Streamable HTTP on 127.0.0.1),
 * stateless, so every call is one HTTP request. No database: the server row is built in memory.
 *
 *   node_modules/.bin/tsx --tsconfig tsconfig.json --import ./bin/server-only-outside-next.mjs bench/mcp-tools.ts
 *   env: BENCH_OPENS (default 200), BENCH_CALLS (2000), BENCH_SECRETS (20000)
 */
import { randomBytes } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startMcpTestServer } from "../tests/support/mcp-test-server";

process.env.CHORUS_MASTER_KEY ??= randomBytes(32).toString("base64");
process.env.LOG_LEVEL ??= "warn";
const OPENS = Number(process.env.BENCH_OPENS ?? 200);
const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const SECRETS = Number(process.env.BENCH_SECRETS ?? 20_000);

const { encryptSecret, decryptSecret } = await import("../server/secrets/envelope");
const { encryptHeaders } = await import("../server/mcp/mcp-connection");
const { openToolsOf } = await import("../server/mcp/agent-tools");

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;
const summary = (values: number[]) => ({
  meanMs: +(values.reduce((sum, value) => sum + value, 0) / values.length).toFixed(3),
  p50Ms: +percentile(values, 0.5).toFixed(3),
  p95Ms: +percentile(values, 0.95).toFixed(3),
});
/** Times two contestants alternately (a, b, a, b, …), so a noisy neighbour on the machine hits both alike. */
async function timedPair(count: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number[], number[]]> {
  const samples: [number[], number[]] = [[], []];
  for (let index = 0; index < count; index++) {
    for (const [slot, run] of [a, b].entries()) {
      const started = performance.now();
      await run();
      samples[slot]!.push(performance.now() - started);
    }
  }
  return samples;
}

const token = `bench-${randomBytes(8).toString("hex")}`;
const mcp = await startMcpTestServer(token);
const headers = { Authorization: `Bearer ${token}` };

// Secrets.
const context = "McpServer.headersEncrypted:cbench";
const plaintext = JSON.stringify(headers);
let ciphertext = "";
let started = performance.now();
for (let index = 0; index < SECRETS; index++) ciphertext = encryptSecret(plaintext, { context });
const encryptUs = ((performance.now() - started) * 1000) / SECRETS;
started = performance.now();
for (let index = 0; index < SECRETS; index++) decryptSecret(ciphertext, { context });
const decryptUs = ((performance.now() - started) * 1000) / SECRETS;

// Opening a server's tools.
const now = new Date();
const row = {
  id: "cbench",
  teamId: "bench",
  name: "notes",
  transport: "http" as const,
  url: mcp.url,
  command: null,
  args: [],
  headerNames: ["Authorization"],
  headersEncrypted: encryptHeaders("cbench", headers),
  enabled: true,
  allAgents: true,
  allowedAgents: [],
  toolSettings: {},
  toolCatalog: null,
  toolsRefreshedAt: null,
  lastError: null,
  createdAt: now,
  updatedAt: now,
};
const bareOpen = async () => {
  const client = new Client({ name: "bench", version: "0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { requestInit: { headers } }));
  await client.listTools();
  return client;
};
const chorusOpen = () => openToolsOf([row], { teamId: "bench", agentKind: "research" });
for (let index = 0; index < 20; index++) {
  await (await bareOpen()).close();
  await (await chorusOpen()).close();
}
const [bareOpens, chorusOpens] = await timedPair(
  OPENS,
  async () => (await bareOpen()).close(),
  async () => (await chorusOpen()).close(),
);

// One call on an open connection.
const client = await bareOpen();
const opened = await chorusOpen();
const tool = opened.tools.find((candidate) => candidate.toolName === "read_notes")!;
for (let index = 0; index < 200; index++) {
  await client.callTool({ name: "read_notes", arguments: {} });
  await tool.call({});
}
const [bareCalls, chorusCalls] = await timedPair(
  CALLS,
  () => client.callTool({ name: "read_notes", arguments: {} }),
  () => tool.call({}),
);
await client.close();
await opened.close();
await mcp.close();

const report = {
  secrets: { encryptUsPerOp: +encryptUs.toFixed(2), decryptUsPerOp: +decryptUs.toFixed(2), operations: SECRETS },
  openServerTools: { bareSdk: summary(bareOpens), chorus: summary(chorusOpens), runs: OPENS },
  toolCall: { bareSdk: summary(bareCalls), chorus: summary(chorusCalls), calls: CALLS },
};
console.log(JSON.stringify(report, null, 2));
