/**
 * Benchmark — what Chorus adds to one tool call on top of the tool's own work (issue #19's target:
 * < 2 ms, its durable record included).
 *
 * The same no-op tool (it echoes its input) is called through the AI SDK two ways, alternately so
 * a noisy neighbour hits both alike:
 * - bare: `tool({ inputSchema, execute })` — what an AI SDK app without Chorus runs;
 * - Chorus: the tool runner (deadline, retry policy, untrusted-output label) with the agent step's
 *   recorder on a real Postgres: the ToolCall row and `agent.tool_call` when the call starts, its
 *   outcome and `agent.tool_result` when it ends — two statements.
 * The difference of the two is Chorus's overhead per call.
 *
 *   bash bench/run.sh tools          env: BENCH_CALLS (default 2000)
 */
import { z } from "zod";
import { startBenchPostgres } from "./lib/postgres";
import { mean, median, printJson, printTable, quantile, round } from "./lib/report";

const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
process.env.LOG_LEVEL ??= "warn";

const postgres = await startBenchPostgres();
process.env.DATABASE_URL = await postgres.createChorusDatabase("chorus_tools");

const { tool, zodSchema } = await import("ai");
const { getPool } = await import("../server/db/client");
const { defineTool } = await import("../server/agents/tools/tool-spec");
const { toAiTool } = await import("../server/agents/tools/run-tool");
const { createToolCallRecorder } = await import("../server/orchestration/tool-call-recorder");

const pool = getPool();
await pool.query(`INSERT INTO "Team" (id, slug, name) VALUES ('bench-team', 'bench', 'Bench')`);
await pool.query(
  `INSERT INTO "Task" (id, "teamId", prompt, status, "updatedAt") VALUES ('bench-task', 'bench-team', 'Benchmark tool calls', 'running', now())`,
);
await pool.query(
  `INSERT INTO "AgentExecution" (id, "taskId", "teamId", "stepKey", "agentKind", status, input) VALUES ('bench-exec', 'bench-task', 'bench-team', 'research', 'research', 'running', '{}')`,
);

const input = z.object({ query: z.string().min(1).max(200) });
const bare = tool({ inputSchema: zodSchema(input), execute: async ({ query }) => ({ echo: query }) });
const chorus = toAiTool(
  defineTool({
    name: "echo",
    description: "Echoes its input.",
    inputSchema: input,
    timeoutMs: 10_000,
    retries: 1,
    untrustedOutput: true,
    run: async ({ query }) => ({ result: { echo: query }, excerpt: query }),
    classifyError: () => ({ kind: "failed", message: "failed" }),
  }),
  {
    scope: { teamId: "bench-team", taskId: "bench-task", stepId: "research", agentKind: "research" },
    observer: createToolCallRecorder(
      { teamId: "bench-team", taskId: "bench-task", executionId: "bench-exec", stepId: "research", agent: "research" },
      async () => {},
    ),
    addSources: () => {},
  },
);

const samples: { bare: number[]; chorus: number[] } = { bare: [], chorus: [] };
const call = async (which: "bare" | "chorus", index: number) => {
  const started = performance.now();
  await (which === "bare" ? bare : chorus).execute!(
    { query: `harbour dues ${index}` },
    { toolCallId: `call-${which}-${index}`, messages: [] },
  );
  samples[which].push(performance.now() - started);
};
// Warm-up: connections open, JIT settled.
for (let index = 0; index < 200; index++) {
  await call("bare", -index - 1);
  await call("chorus", -index - 1);
}
samples.bare.length = 0;
samples.chorus.length = 0;
for (let index = 0; index < CALLS; index++) {
  await call("bare", index);
  await call("chorus", index);
}

const stored = await pool.query<{ count: string }>(`SELECT count(*) FROM "ToolCall" WHERE "executionId" = 'bench-exec'`);
const events = await pool.query<{ count: string }>(`SELECT count(*) FROM "RunEvent" WHERE "taskId" = 'bench-task'`);
const overheadMs = median(samples.chorus) - median(samples.bare);
printTable(
  `One tool call, ${CALLS} calls each (ms)`,
  ["path", "mean", "p50", "p95"],
  [
    ["AI SDK tool, bare", round(mean(samples.bare), 3), round(median(samples.bare), 3), round(quantile(samples.bare, 0.95), 3)],
    [
      "Chorus runner + durable record",
      round(mean(samples.chorus), 3),
      round(median(samples.chorus), 3),
      round(quantile(samples.chorus, 0.95), 3),
    ],
  ],
);
console.log(`Chorus adds ${round(overheadMs, 3)} ms per call at p50 (target < 2 ms): ${overheadMs < 2 ? "met" : "NOT met"}.`);
console.log(`Recorded ${stored.rows[0]!.count} tool calls and ${events.rows[0]!.count} run events.`);
printJson({
  benchmark: "tool-calls",
  calls: CALLS,
  bareP50Ms: round(median(samples.bare), 3),
  chorusP50Ms: round(median(samples.chorus), 3),
  chorusP95Ms: round(quantile(samples.chorus, 0.95), 3),
  overheadP50Ms: round(overheadMs, 3),
  target: "< 2 ms",
});
await pool.end();
await postgres.stop();
