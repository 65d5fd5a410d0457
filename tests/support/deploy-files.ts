/**
 * What the deployment-file tests (tests/unit/deploy-*.test.ts, tests/integration/deploy-metric-names.test.ts)
 * share: reading deploy/ files, running Debian's promtool on them (or on a mutated copy, to prove a
 * check rejects a broken file), the PromQL expressions of the alert rules and the Grafana
 * dashboard with the metric names they use, and the environment variables server/env.ts accepts.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import ts from "typescript";
import { parseAllDocuments, parse as parseYaml } from "yaml";

export const repoRoot = path.resolve(import.meta.dirname, "../..");

export function readRepoFile(relative: string): string {
  return readFileSync(path.join(repoRoot, relative), "utf8");
}

export function readYaml(relative: string): unknown {
  return parseYaml(readRepoFile(relative));
}

/** Every YAML document of a file (a Kubernetes manifest may hold several), failing on a syntax error. */
export function readYamlDocuments(relative: string): unknown[] {
  return parseAllDocuments(readRepoFile(relative)).map((document) => {
    if (document.errors.length > 0) throw new Error(`${relative}: ${document.errors.map((error) => error.message).join("; ")}`);
    return document.toJS();
  });
}

/** A fresh directory holding the given files (name → content), for a tool run on copies. */
export function scratchDirectory(files: Record<string, string>): string {
  const directory = mkdtempSync(path.join(tmpdir(), "chorus-deploy-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(directory, name), content);
  return directory;
}

/** Runs promtool (from Debian's `prometheus` package; .ci/run installs it). */
export function promtool(...args: string[]): { code: number | null; output: string } {
  const result = spawnSync("promtool", args, { encoding: "utf8" });
  if (result.error) throw new Error(`promtool could not run (apt-get install prometheus): ${result.error.message}`);
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function alertRules(text = readRepoFile("deploy/prometheus/alerts.yml")): AlertRule[] {
  const file = parseYaml(text) as { groups: { name: string; rules: AlertRule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { type: string; uid: string } }[];
  gridPos: { x: number; y: number; w: number; h: number };
}

export function grafanaDashboard(): { schemaVersion: number; uid: string; title: string; panels: DashboardPanel[]; templating: unknown } {
  return JSON.parse(readRepoFile("deploy/grafana/chorus-dashboard.json"));
}

/** Grafana's own interval variables, replaced by a plain duration so Prometheus's parser can read the expression. */
export function withoutGrafanaVariables(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)/g, "5m");
}

/** Every PromQL expression Chorus ships: the alert rules' and the dashboard's (variables replaced). */
export function shippedExpressions(): { where: string; expr: string }[] {
  return [
    ...alertRules().map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr })),
    ...grafanaDashboard()
      .panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })))
      .map(({ panel, target }) => ({ where: `panel "${panel.title}" ${target.refId}`, expr: withoutGrafanaVariables(target.expr) })),
  ];
}

const PROMQL_WORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "and",
  "or",
  "unless",
  "offset",
  "bool",
  "inf",
  "nan",
]);

/**
 * The metric names a PromQL expression selects: identifiers that are neither a function (followed
 * by `(`), a keyword, a number or duration, nor inside a label matcher `{…}`, a grouping `by (…)`
 * or a string. Enough for the expressions we write; tests/unit/deploy-grafana.test.ts proves it on
 * known ones.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    // Numbers and durations (`0.99`, `offset 5m`), which would otherwise leave a unit behind.
    .replace(/(?<![a-zA-Z0-9_:])\d[\d.]*(e[+-]?\d+)?[a-z]*/g, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice(match.index + match[0].length).trimStart();
    if (after.startsWith("(") || PROMQL_WORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

/** The keys of server/env.ts's schema (the variables Chorus reads), from its source: the schema itself is not exported. */
export function environmentVariablesChorusReads(): Set<string> {
  const source = ts.createSourceFile("env.ts", readRepoFile("server/env.ts"), ts.ScriptTarget.Latest, true);
  const keys = new Set<string>();
  const visit = (node: ts.Node) => {
    if (
      ts.isVariableDeclaration(node) &&
      node.name.getText() === "envSchema" &&
      node.initializer &&
      ts.isCallExpression(node.initializer) &&
      ts.isObjectLiteralExpression(node.initializer.arguments[0]!)
    ) {
      for (const property of node.initializer.arguments[0].properties) if (property.name) keys.add(property.name.getText());
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (keys.size === 0) throw new Error("no envSchema object found in server/env.ts");
  return keys;
}

/**
 * The variables a deployment file sets that Chorus itself reads — CHORUS_*, DATABASE_*, REDIS_URL,
 * OTEL_* — which are not keys of server/env.ts (a typo, or one that was renamed). The OpenTelemetry
 * exporter's endpoint is read by the tracing module (#22 §3), allowed here by name.
 */
export function unknownChorusVariables(names: Iterable<string>): string[] {
  const accepted = environmentVariablesChorusReads();
  accepted.add("OTEL_EXPORTER_OTLP_ENDPOINT");
  return [...names].filter((name) => /^(CHORUS_|DATABASE_|REDIS_URL$|OTEL_)/.test(name) && !accepted.has(name));
}
