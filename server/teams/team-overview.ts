import { z } from "zod";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { agentDurationPercentiles, countTeamTasksPerDay } from "@/server/db/queries/team-overview";
import { finishedTaskStatuses, activeTaskStatuses } from "@/server/domain/task-vocabulary";
import { parseInput } from "@/server/validation";
import { everyDay, usageWindowStart } from "./usage-overview";
import { summarizeTeamUsage } from "./usage-summary";

/**
 * What the Overview page charts (docs/dashboard.md) for the last N UTC days (today and the N-1
 * before it): tasks per day by status, p50/p95 duration of completed attempts per agent kind,
 * tokens and cost per day, and how often the response cache answered. Every day of the window is
 * present (quiet ones at zero) so the charts' axes are continuous. Read permission: every member
 * may see it; API: GET /api/v1/overview and tRPC `overview.read`. Tokens, cost and cache hits are
 * the usage summary's per-day numbers (usage-summary.ts), so this page and the usage page agree.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
export const OVERVIEW_DAY_CHOICES = [7, 14, 30, 90] as const;
const taskStatuses = [...activeTaskStatuses, ...finishedTaskStatuses] as const;

export const teamOverviewInput = z.object({
  days: z.coerce
    .number({ error: "days must be a whole number from 1 to 90" })
    .int({ error: "days must be a whole number from 1 to 90" })
    .min(1, { error: "days must be a whole number from 1 to 90" })
    .max(90, { error: "days must be a whole number from 1 to 90" })
    .default(14)
    .meta({ description: "How many UTC days, ending today, to chart (default 14)" }),
});

const statusCounts = Object.fromEntries(taskStatuses.map((status) => [status, z.number().int()])) as Record<
  (typeof taskStatuses)[number],
  z.ZodNumber
>;

/** What the overview answers with (and the OpenAPI document publishes). */
export const teamOverviewView = z
  .object({
    from: z.iso.datetime().meta({ description: "Start of the first UTC day charted" }),
    to: z.iso.datetime(),
    days: z.number().int(),
    tasksPerDay: z.array(z.object({ day: z.string().meta({ description: "YYYY-MM-DD, UTC" }), total: z.number().int(), ...statusCounts })),
    durationByAgent: z.array(
      z.object({
        agent: z.string(),
        executions: z.number().int().meta({ description: "Completed attempts of this agent kind started in the window" }),
        p50Ms: z.number(),
        p95Ms: z.number(),
      }),
    ),
    usagePerDay: z.array(
      z.object({
        day: z.string(),
        calls: z.number().int(),
        inputTokens: z.number().int(),
        outputTokens: z.number().int(),
        costUsd: z.number(),
        cacheHits: z.number().int(),
        cacheHitRate: z
          .number()
          .nullable()
          .meta({ description: "Share (0-1) of the day's model calls the response cache answered; null without calls" }),
      }),
    ),
    totals: z.object({
      tasks: z.number().int(),
      calls: z.number().int(),
      tokens: z.number().int(),
      costUsd: z.number(),
      cacheHits: z.number().int(),
      cacheHitRate: z.number().nullable(),
    }),
  })
  .meta({ id: "TeamOverview" });

export type TeamOverview = z.output<typeof teamOverviewView>;
type TaskDay = TeamOverview["tasksPerDay"][number];

const rate = (hits: number, calls: number) => (calls === 0 ? null : hits / calls);
const roundCost = (usd: number) => Math.round(usd * 1e8) / 1e8;

export async function readTeamOverview(caller: Caller, rawInput: unknown, now: Date = new Date()): Promise<TeamOverview> {
  requirePermission(caller, "read");
  const { days } = parseInput(teamOverviewInput, rawInput);
  const from = usageWindowStart(now, days);
  const to = new Date(now.getTime() + 1); // the window includes this instant
  const range = { from, to };
  const [taskRows, durations, usage] = await Promise.all([
    countTeamTasksPerDay(caller.teamId, range),
    agentDurationPercentiles(caller.teamId, range),
    summarizeTeamUsage(caller, { from: from.toISOString(), to: to.toISOString(), groupBy: "day" }),
  ]);

  const tasksByDay = new Map<string, TaskDay>();
  for (let day = from.getTime(); day < to.getTime(); day += DAY_MS) {
    const key = new Date(day).toISOString().slice(0, 10);
    tasksByDay.set(key, {
      day: key,
      total: 0,
      ...(Object.fromEntries(taskStatuses.map((status) => [status, 0])) as Omit<TaskDay, "day" | "total">),
    });
  }
  for (const row of taskRows) {
    const day = tasksByDay.get(row.day);
    if (!day || !(taskStatuses as readonly string[]).includes(row.status)) continue;
    day[row.status as (typeof taskStatuses)[number]] += row.tasks;
    day.total += row.tasks;
  }

  const usagePerDay = everyDay(usage.groups, from, to).map((day) => ({
    day: day.key,
    calls: day.calls,
    inputTokens: day.inputTokens,
    outputTokens: day.outputTokens,
    costUsd: day.costUsd,
    cacheHits: day.cacheHits,
    cacheHitRate: rate(day.cacheHits, day.calls),
  }));

  const tasksPerDay = [...tasksByDay.values()];
  const calls = usagePerDay.reduce((sum, day) => sum + day.calls, 0);
  const cacheHits = usagePerDay.reduce((sum, day) => sum + day.cacheHits, 0);
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    days,
    tasksPerDay,
    durationByAgent: durations.map((row) => ({ agent: row.agent, executions: row.executions, p50Ms: row.p50Ms, p95Ms: row.p95Ms })),
    usagePerDay,
    totals: {
      tasks: tasksPerDay.reduce((sum, day) => sum + day.total, 0),
      calls,
      tokens: usagePerDay.reduce((sum, day) => sum + day.inputTokens + day.outputTokens, 0),
      costUsd: roundCost(usagePerDay.reduce((sum, day) => sum + day.costUsd, 0)),
      cacheHits,
      cacheHitRate: rate(cacheHits, calls),
    },
  };
}
