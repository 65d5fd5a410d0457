import { describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { getDb } from "@/server/db/client";
import { updateTeamMonthlyBudget } from "@/server/db/queries/task-budgets";
import { useApiServer } from "../support/api-server";
import { metricNamesIn, shippedExpressions } from "../support/deploy-files";
import { until } from "../support/executor-helpers";
import { createTeamWithMembers, THREE_AGENT_PROMPT, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { parsePrometheusText, sumOf } from "../support/prometheus-text";

/**
 * The alert rules (deploy/prometheus/alerts.yml) and the Grafana dashboard
 * (deploy/grafana/chorus-dashboard.json) name only metrics Chorus serves: a real front door and
 * executor run a task through the REST API, and every metric name in every shipped expression
 * must be a family declared in the /api/metrics scrape. Also: the budget gauge the budget alert
 * reads follows the teams' monthly budgets.
 */
const api = useApiServer();
useEmbeddedExecutor(8);

/** Series Prometheus makes itself, not Chorus. */
const PROMETHEUS_OWN = new Set(["up"]);
const SUFFIXES: Record<string, string[]> = { histogram: ["_bucket", "_sum", "_count"], summary: ["_sum", "_count"] };

/** The names in `names` that are no family (or histogram series) of the scrape. */
function undeclared(names: string[], types: Map<string, string>): string[] {
  return names.filter((name) => {
    if (PROMETHEUS_OWN.has(name) || types.has(name)) return false;
    return ![...types].some(([family, type]) => (SUFFIXES[type] ?? []).some((suffix) => name === family + suffix));
  });
}

async function scrape() {
  const answer = await fetch(`${api.baseURL}/api/metrics`);
  expect(answer.status).toBe(200);
  return parsePrometheusText(await answer.text());
}

describe("metric names in the alert rules and the dashboard", () => {
  it("all exist in the metrics of a server that has run a task", async () => {
    const { team } = await createTeamWithMembers();
    const { key } = await createApiKey({ teamId: team.id, role: "admin", name: "deploy metrics test" });
    const created = await fetch(`${api.baseURL}/api/v1/tasks`, {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ prompt: THREE_AGENT_PROMPT }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(await waitForTaskStatus(id, ["completed", "failed"])).toBe("completed");
    const { types } = await until(
      async () => {
        const scraped = await scrape();
        return sumOf(scraped.samples, "chorus_agent_executions_total") >= 3 && scraped;
      },
      10_000,
      "the task's agent executions to be counted",
    );

    const expressions = shippedExpressions();
    expect(expressions.length).toBeGreaterThan(40);
    const missing = expressions.flatMap(({ where, expr }) => undeclared(metricNamesIn(expr), types).map((name) => `${where}: ${name}`));
    expect(missing).toEqual([]);
    // Every expression names at least one metric (the extractor did not come back empty).
    for (const { where, expr } of expressions) expect(metricNamesIn(expr).length, where).toBeGreaterThan(0);

    // A renamed or misspelt metric is caught.
    expect(undeclared(metricNamesIn('sum(rate(chorus_task_finished_total{status="failed"}[5m]))'), types)).toEqual([
      "chorus_task_finished_total",
    ]);
    expect(undeclared(["http_request_duration_seconds_bucket", "chorus_sse_open_streams_bucket"], types)).toEqual([
      "chorus_sse_open_streams_bucket",
    ]);
  });

  it("the budget gauge reads the largest share of a monthly budget any team has spent", async () => {
    const before = await scrape();
    expect(before.types.get("chorus_team_budget_max_used_ratio")).toBe("gauge");
    const { team: frugal } = await createTeamWithMembers();
    const { team: spender } = await createTeamWithMembers();
    await updateTeamMonthlyBudget(frugal.id, 100);
    await updateTeamMonthlyBudget(spender.id, 10);
    await getDb().team.update({ where: { id: frugal.id }, data: { monthSpentUsd: 20 } });
    await getDb().team.update({ where: { id: spender.id }, data: { monthSpentUsd: 9.5 } });
    expect(sumOf((await scrape()).samples, "chorus_team_budget_max_used_ratio")).toBeCloseTo(0.95, 6);

    // A counter left from an earlier month is this month's zero.
    await getDb().team.update({ where: { id: spender.id }, data: { budgetMonth: "2000-01" } });
    expect(sumOf((await scrape()).samples, "chorus_team_budget_max_used_ratio")).toBeCloseTo(0.2, 6);
  });
});
