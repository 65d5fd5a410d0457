import { z } from "zod";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { sumTeamModelCalls, type UsageGroupRow } from "@/server/db/queries/model-calls";
import { AppError } from "@/server/errors";
import { parseInput } from "@/server/validation";

/**
 * What a team's model calls spent over a period, per day, model, agent kind or member
 * (docs/model-usage.md): calls, tokens by kind, cost, calls whose price is unknown, cache hits.
 * Read permission: every member may see what the team spends.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_RANGE_DAYS = 366;

const instant = (name: string) =>
  z
    .string({ error: `${name} must be a date (YYYY-MM-DD) or an ISO date-time` })
    .trim()
    .refine((value) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) && Number.isFinite(Date.parse(value)), {
      error: `${name} must be a date (YYYY-MM-DD) or an ISO date-time`,
    })
    .optional();

export const usageSummaryInput = z.object({
  from: instant("from"),
  to: instant("to"),
  groupBy: z
    .enum(["day", "model", "agent", "member"], { error: "groupBy must be one of day, model, agent, member" })
    .optional()
    .default("day"),
});

const usageCounts = {
  calls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cachedInputTokens: z.number().int(),
  reasoningTokens: z.number().int(),
  costUsd: z.number(),
  unknownPriceCalls: z.number().int().meta({ description: "Calls to a model with no known price (counted at 0)" }),
  cacheHits: z.number().int(),
  estimatedCalls: z.number().int().meta({ description: "Calls whose tokens were estimated (the provider reported none)" }),
};

/** What the summary answers with (and the OpenAPI document publishes). */
export const usageSummaryView = z
  .object({
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    groupBy: z.enum(["day", "model", "agent", "member"]),
    totals: z.object(usageCounts),
    groups: z.array(z.object({ key: z.string().nullable().meta({ description: "The day, model, agent or member" }), ...usageCounts })),
  })
  .meta({ id: "UsageSummary" });

export async function summarizeTeamUsage(caller: Caller, rawInput: unknown): Promise<z.output<typeof usageSummaryView>> {
  requirePermission(caller, "read");
  const input = parseInput(usageSummaryInput, rawInput);
  const to = input.to ? new Date(input.to) : new Date();
  const from = input.from ? new Date(input.from) : new Date(to.getTime() - 30 * DAY_MS);
  if (from.getTime() >= to.getTime()) throw new AppError("bad_request", "from must be before to", "from");
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS)
    throw new AppError("bad_request", `The range may span at most ${MAX_RANGE_DAYS} days`, "from");
  const rows = await sumTeamModelCalls(caller.teamId, { from, to }, input.groupBy);
  const groups = rows.map(presentGroup);
  return { from: from.toISOString(), to: to.toISOString(), groupBy: input.groupBy, totals: totalOf(groups), groups };
}

type UsageGroup = ReturnType<typeof presentGroup>;

function presentGroup(row: UsageGroupRow) {
  return {
    key: row.key === "" ? null : row.key,
    calls: row.calls,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    cachedInputTokens: row.cachedInputTokens,
    reasoningTokens: row.reasoningTokens,
    costUsd: Number(row.costUsd),
    unknownPriceCalls: row.unknownPriceCalls,
    cacheHits: row.cacheHits,
    estimatedCalls: row.estimatedCalls,
  };
}

function totalOf(groups: readonly UsageGroup[]): Omit<UsageGroup, "key"> {
  const total = {
    calls: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
    unknownPriceCalls: 0,
    cacheHits: 0,
    estimatedCalls: 0,
  };
  for (const group of groups) {
    for (const name of Object.keys(total) as Array<keyof typeof total>) total[name] += group[name];
  }
  // Sums of rounded costs, rounded again so totals carry no float noise.
  return { ...total, costUsd: Math.round(total.costUsd * 1e8) / 1e8 };
}
