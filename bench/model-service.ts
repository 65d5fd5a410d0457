/**
 * Benchmark — what finding a team's model costs on the hot path (issue #20: "reads must be cheap").
 *
 * - warm: `resolveModelChain` with the team's routing and providers already read (the usual case:
 *   they are kept TEAM_SETUP_TTL_MS per team) and its client already built;
 * - cold read: the same after `forgetTeamModelSetup` (what every change, and every 5 s, costs):
 *   one indexed query for the routing and providers, the client still reused;
 * - client build: decrypting a key and building the AI SDK client (once per provider configuration);
 * - before #20: `getLanguageModel` as call sites used it, a new client per call, no database.
 * Postgres is the embedded one over TCP, as bench/lib/postgres.ts sets up.
 *
 *   node_modules/.bin/tsx --tsconfig tsconfig.json --import ./bin/server-only-outside-next.mjs bench/model-service.ts
 *   env: BENCH_WARM (default 20000), BENCH_COLD (default 500)
 */
import { randomBytes } from "node:crypto";
import { startBenchPostgres } from "./lib/postgres";
import { printJson, round } from "./lib/report";

process.env.CHORUS_MASTER_KEY ??= randomBytes(32).toString("base64");
process.env.LOG_LEVEL ??= "warn";
const WARM = Number(process.env.BENCH_WARM ?? 20_000);
const COLD = Number(process.env.BENCH_COLD ?? 500);

const postgres = await startBenchPostgres();
try {
  process.env.DATABASE_URL = await postgres.createChorusDatabase("model_service");
  const { getDb, closeDb } = await import("../server/db/client");
  const { createModelProvider, updateModelRouting } = await import("../server/teams/model-providers");
  const { resolveModelChain, forgetTeamModelSetup, apiKeyContext } = await import("../server/llm/model-service");
  const { getLanguageModel } = await import("../server/llm/providers");
  const { decryptSecret } = await import("../server/secrets/envelope");
  const { createOpenAI } = await import("@ai-sdk/openai");

  const team = await getDb().team.create({ data: { slug: "bench", name: "Bench" } });
  const admin = { teamId: team.id, userId: null, role: "admin" as const };
  const provider = await createModelProvider(admin as never, {
    name: "bench",
    kind: "openai-compatible",
    baseUrl: "http://127.0.0.1:9/v1",
    apiKey: "sk-bench-0123456789abcdef",
  });
  await updateModelRouting(admin as never, {
    default: [{ providerId: provider.id, model: "bench-model" }],
    planner: [
      { providerId: provider.id, model: "bench-planner" },
      { providerId: "env", model: "fallback" },
    ],
  });
  const stored = await getDb().modelProvider.findUniqueOrThrow({ where: { id: provider.id } });

  const perCallUs = async (count: number, work: () => unknown) => {
    for (let index = 0; index < Math.min(200, count); index++) await work();
    const started = process.hrtime.bigint();
    for (let index = 0; index < count; index++) await work();
    return round(Number(process.hrtime.bigint() - started) / count / 1000, 1);
  };

  const results = {
    warmResolveUs: await perCallUs(WARM, () => resolveModelChain(team.id, { role: "planner" })),
    coldResolveUs: await perCallUs(COLD, () => {
      forgetTeamModelSetup(team.id);
      return resolveModelChain(team.id, { role: "planner" });
    }),
    clientBuildUs: await perCallUs(COLD, () =>
      createOpenAI({
        apiKey: decryptSecret(stored.apiKeyEncrypted!, { context: apiKeyContext(stored.id) }),
        baseURL: stored.baseUrl!,
      }).chat("bench-model"),
    ),
    beforeIssue20GetLanguageModelUs: await perCallUs(WARM, () => getLanguageModel("planner")),
  };
  printJson(results);
  await closeDb();
} finally {
  await postgres.stop();
}
