import { describe, expect, it } from "vitest";
import { grafanaDashboard, metricNamesIn, readRepoFile, readYaml } from "../support/deploy-files";

/**
 * deploy/grafana: the dashboard has Grafana's dashboard shape (schemaVersion, a uid, panels on the
 * 24-column grid, each with the Prometheus data source and targets with an expression), covers
 * what #22 asks for, and its provisioning files point at it. That its expressions parse is checked
 * with promtool in deploy-prometheus.test.ts, and that its metric names exist by scraping a real
 * server in tests/integration/deploy-metric-names.test.ts.
 */
type Dashboard = ReturnType<typeof grafanaDashboard>;

/** What is wrong with a dashboard's shape (empty: nothing). */
function problemsOf(dashboard: Dashboard): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(dashboard.schemaVersion) || dashboard.schemaVersion < 30) problems.push("schemaVersion missing or too old");
  if (!dashboard.uid || !dashboard.title) problems.push("no uid or title");
  if (!Array.isArray(dashboard.panels) || dashboard.panels.length === 0) return [...problems, "no panels"];
  const ids = new Set<number>();
  for (const panel of dashboard.panels) {
    if (ids.has(panel.id)) problems.push(`panel id ${panel.id} twice`);
    ids.add(panel.id);
    const { x, y, w, h } = panel.gridPos ?? {};
    if (![x, y, w, h].every(Number.isInteger) || x! < 0 || w! < 1 || x! + w! > 24 || h! < 1) problems.push(`"${panel.title}": bad gridPos`);
    if (panel.type === "row") continue;
    if (panel.datasource?.type !== "prometheus") problems.push(`"${panel.title}": no Prometheus data source`);
    if (!panel.targets?.length) problems.push(`"${panel.title}": no targets`);
    for (const target of panel.targets ?? []) {
      if (!target.refId || typeof target.expr !== "string" || target.expr.trim() === "")
        problems.push(`"${panel.title}": a target without expr`);
      if (target.datasource && target.datasource.type !== "prometheus") problems.push(`"${panel.title}": a target on another data source`);
    }
  }
  return problems;
}

describe("the Grafana dashboard", () => {
  it("parses as JSON with Grafana's dashboard shape", () => {
    expect(() => JSON.parse(readRepoFile("deploy/grafana/chorus-dashboard.json"))).not.toThrow();
    expect(problemsOf(grafanaDashboard())).toEqual([]);
  });

  it("is rejected when a panel loses its query or data source", () => {
    const withoutExpr = grafanaDashboard();
    const panel = withoutExpr.panels.find((candidate) => candidate.type !== "row")!;
    delete (panel.targets![0] as { expr?: string }).expr;
    expect(problemsOf(withoutExpr)).toContainEqual(expect.stringMatching(/a target without expr/));
    const withoutSource = grafanaDashboard();
    delete withoutSource.panels.find((candidate) => candidate.type !== "row")!.datasource;
    expect(problemsOf(withoutSource)).toContainEqual(expect.stringMatching(/no Prometheus data source/));
  });

  it("shows requests, latency, errors, agents, tokens and cost, cache, the database pool and streams", () => {
    const used = new Set(
      grafanaDashboard().panels.flatMap((panel) => (panel.targets ?? []).flatMap((target) => metricNamesIn(target.expr))),
    );
    for (const name of [
      "http_requests_total",
      "http_request_duration_seconds_bucket",
      "chorus_agent_executions_total",
      "chorus_agent_execution_duration_seconds_bucket",
      "chorus_model_tokens_total",
      "chorus_model_cost_usd_total",
      "chorus_model_cache_requests_total",
      "chorus_db_pool_connections",
      "chorus_sse_open_streams",
      "chorus_executor_queue_depth",
    ])
      expect(used, name).toContain(name);
    const latency = grafanaDashboard().panels.find((panel) => panel.title.startsWith("Latency"))!;
    expect(latency.targets!.map((target) => target.expr.match(/histogram_quantile\(([\d.]+)/)?.[1])).toEqual(["0.5", "0.95", "0.99"]);
  });

  it("is provisioned with its Prometheus data source", () => {
    const dashboard = grafanaDashboard() as Dashboard & { templating: { list: { name: string; type: string; query: string }[] } };
    // Panels name the data source through the dashboard's variable, which lists Prometheus data sources.
    const variable = dashboard.templating.list.find((candidate) => candidate.name === "datasource");
    expect(variable).toMatchObject({ type: "datasource", query: "prometheus" });
    for (const panel of dashboard.panels.filter((candidate) => candidate.type !== "row"))
      expect(panel.datasource, panel.title).toEqual({ type: "prometheus", uid: "${datasource}" });
    const datasources = readYaml("deploy/grafana/provisioning/datasources/prometheus.yml") as {
      apiVersion: number;
      datasources: { type: string; isDefault: boolean }[];
    };
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources).toContainEqual(expect.objectContaining({ type: "prometheus", isDefault: true }));
    const providers = readYaml("deploy/grafana/provisioning/dashboards/chorus.yml") as {
      apiVersion: number;
      providers: { type: string; options: { path: string } }[];
    };
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers[0]).toMatchObject({ type: "file", options: { path: expect.stringMatching(/^\//) } });
  });
});

describe("reading metric names out of PromQL", () => {
  it("finds the selected metrics, not functions, keywords, labels or groupings", () => {
    expect(
      metricNamesIn(
        'sum by (route, le) (rate(http_request_duration_seconds_bucket{job="chorus", route!~"a|b"}[5m])) / on() group_left sum(up) and chorus_x offset 5m',
      ).sort(),
    ).toEqual(["chorus_x", "http_request_duration_seconds_bucket", "up"]);
    expect(metricNamesIn('histogram_quantile(0.99, sum without (instance) (rate(x_bucket{le="+Inf"}[1m]))) > 2 or on() vector(0)')).toEqual(
      ["x_bucket"],
    );
  });
});
