import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { alertRules, promtool, readRepoFile, repoRoot, scratchDirectory, shippedExpressions } from "../support/deploy-files";

/**
 * deploy/prometheus: the alert rules load in Prometheus (`promtool check rules`), each alert fires
 * on synthetic series and stays quiet on healthy ones (`promtool test rules` with alerts.test.yml),
 * the scrape config loads (`promtool check config`), and every Grafana expression parses. Each
 * check is also run on a broken copy, to prove it rejects one.
 */
const alertsYaml = readRepoFile("deploy/prometheus/alerts.yml");
const alertsTestYaml = readRepoFile("deploy/prometheus/alerts.test.yml");

describe("the alert rules", () => {
  it("load in Prometheus", () => {
    const checked = promtool("check", "rules", path.join(repoRoot, "deploy/prometheus/alerts.yml"));
    expect(checked.output).toContain("SUCCESS");
    expect(checked.code).toBe(0);

    const broken = scratchDirectory({ "alerts.yml": alertsYaml.replace("> 0.05", "> > 0.05") });
    expect(promtool("check", "rules", path.join(broken, "alerts.yml")).code).not.toBe(0);
  });

  it("cover what #22 asks for, each with a wait, a severity and words for the person paged", () => {
    const rules = alertRules();
    const names = rules.map((rule) => rule.alert);
    for (const name of [
      "ChorusHighErrorRate",
      "ChorusHighLatencyP99",
      "ChorusTasksStuck",
      "ChorusModelBreakerOpen",
      "ChorusTeamBudgetNearLimit",
      "ChorusDatabasePoolExhausted",
      "ChorusExecutorLag",
      "ChorusExecutorQueueNotDraining",
    ])
      expect(names).toContain(name);
    for (const rule of rules) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(["critical", "warning"], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
    }
  });

  it("fire on synthetic series, and stay quiet on healthy ones (promtool test rules)", () => {
    const tested = promtool("test", "rules", path.join(repoRoot, "deploy/prometheus/alerts.test.yml"));
    expect(tested.output).toContain("SUCCESS");
    expect(tested.code).toBe(0);

    // Every alert has a case in which it fires.
    const cases = (parseYaml(alertsTestYaml) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] }).tests;
    const fired = new Set(
      cases.flatMap((test) => test.alert_rule_test.filter((check) => check.exp_alerts.length > 0).map((check) => check.alertname)),
    );
    for (const rule of alertRules()) expect(fired, `${rule.alert} has no test in which it fires`).toContain(rule.alert);
  });

  it("a rule that no longer fires fails its unit test", () => {
    const broken = scratchDirectory({
      "alerts.yml": alertsYaml.replace(
        'max(chorus_team_budget_max_used_ratio{job="chorus"}) >= 0.9',
        'max(chorus_team_budget_max_used_ratio{job="chorus"}) >= 0.99',
      ),
      "alerts.test.yml": alertsTestYaml,
    });
    const tested = promtool("test", "rules", path.join(broken, "alerts.test.yml"));
    expect(tested.code).not.toBe(0);
    expect(tested.output).toContain("ChorusTeamBudgetNearLimit");
  });
});

describe("the scrape config", () => {
  // promtool checks that the token file exists: point it at a scratch one, the rest verbatim.
  function checkConfig(config: string) {
    const secrets = scratchDirectory({ token: "a-scrape-token-of-24-chars" });
    const withToken = config.replace("/run/secrets/chorus_metrics_token", path.join(secrets, "token"));
    // The rule file is resolved beside the config, as in the compose file's /etc/prometheus.
    const files = scratchDirectory({ "prometheus.yml": withToken, "alerts.yml": alertsYaml });
    return promtool("check", "config", path.join(files, "prometheus.yml"));
  }

  it("loads, scrapes /api/metrics with the bearer token from a file, and loads the alert rules", () => {
    const config = readRepoFile("deploy/prometheus/prometheus.yml");
    const checked = checkConfig(config);
    expect(checked.output).toContain("SUCCESS: 1 rule files found");
    expect(checked.code).toBe(0);
    const parsed = parseYaml(config) as {
      rule_files: string[];
      scrape_configs: { job_name: string; metrics_path?: string; authorization?: { type: string; credentials_file?: string } }[];
    };
    const chorus = parsed.scrape_configs.find((job) => job.job_name === "chorus");
    // The alert rules select job="chorus".
    expect(chorus).toMatchObject({ metrics_path: "/api/metrics", authorization: { type: "Bearer", credentials_file: expect.any(String) } });
    expect(parsed.rule_files).toEqual(["alerts.yml"]);

    expect(checkConfig(config.replace("metrics_path:", "metrics_paht:")).code).not.toBe(0);
  });
});

describe("the Grafana dashboard's expressions", () => {
  // promtool parses PromQL only in rule files: each expression becomes a recording rule of a throwaway file.
  function checkExpressions(expressions: string[]) {
    const rules = expressions.map((expr, index) => ({ record: `chorus:dashboard_check_${index}`, expr }));
    const directory = scratchDirectory({ "expressions.yml": JSON.stringify({ groups: [{ name: "dashboard", rules }] }) });
    return promtool("check", "rules", path.join(directory, "expressions.yml"));
  }

  it("all parse as PromQL", () => {
    const expressions = shippedExpressions().map((shipped) => shipped.expr);
    expect(expressions.length).toBeGreaterThan(30);
    const checked = checkExpressions(expressions);
    expect(checked.output).toContain(`SUCCESS: ${expressions.length} rules found`);
    expect(checked.code).toBe(0);

    expect(checkExpressions(["sum by (route) (rate(http_requests_total[5m])"]).code).not.toBe(0);
  });
});
