import { readdirSync } from "node:fs";
import path from "node:path";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Job } from "kubernetes-models/batch/v1";
import { ConfigMap, Secret, Service } from "kubernetes-models/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { describe, expect, it } from "vitest";
import { matchRestRoute } from "@/server/http/rest-router";
import { parseEnv } from "@/server/env";
import { readYaml, readYamlDocuments, repoRoot, unknownChorusVariables } from "../support/deploy-files";

/**
 * deploy/k8s, checked without a cluster: every document validates against the Kubernetes OpenAPI
 * schemas (kubernetes-models 4.5.1, `validate()`), and the pieces fit together — the Deployment's
 * probes hit routes Chorus serves, its selector matches its pods' labels, the Service reaches the
 * container's port, the autoscaler and disruption budget target the Deployment, the migration Job
 * runs `chorus migrate` from the same image and configuration, and every variable they set is one
 * server/env.ts reads. (The schemas accept unknown fields, as the API server's non-strict decoding
 * does: the fields that matter are asserted by name below.)
 */
const K8S = "deploy/k8s";

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> } } & Record<string, unknown>;

const validators: Record<string, (manifest: Manifest) => void> = {
  "apps/v1 Deployment": (manifest) => new Deployment(manifest as never).validate(),
  "v1 Service": (manifest) => new Service(manifest as never).validate(),
  "v1 ConfigMap": (manifest) => new ConfigMap(manifest as never).validate(),
  "v1 Secret": (manifest) => new Secret(manifest as never).validate(),
  "autoscaling/v2 HorizontalPodAutoscaler": (manifest) => new HorizontalPodAutoscaler(manifest as never).validate(),
  "policy/v1 PodDisruptionBudget": (manifest) => new PodDisruptionBudget(manifest as never).validate(),
  "batch/v1 Job": (manifest) => new Job(manifest as never).validate(),
};

function validate(manifest: Manifest): void {
  const validator = validators[`${manifest.apiVersion} ${manifest.kind}`];
  if (!validator) throw new Error(`${manifest.apiVersion} ${manifest.kind}: not a kind this test knows`);
  validator(manifest);
}

const manifestFiles = readdirSync(path.join(repoRoot, K8S)).filter((file) => file.endsWith(".yaml") && file !== "kustomization.yaml");
const manifests = manifestFiles.flatMap((file) => readYamlDocuments(`${K8S}/${file}`) as Manifest[]);
function one<T>(kind: string): T {
  const found = manifests.filter((manifest) => manifest.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as T;
}

type Container = {
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  startupProbe?: { httpGet: { path: string; port: string | number } };
  livenessProbe?: { httpGet: { path: string; port: string | number } };
  readinessProbe?: { httpGet: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
};
type PodSpec = { containers: Container[]; securityContext?: { runAsNonRoot?: boolean; runAsUser?: number }; restartPolicy?: string };
type DeploymentManifest = Manifest & {
  spec: {
    selector: { matchLabels: Record<string, string> };
    strategy: { type: string; rollingUpdate: { maxUnavailable: number | string; maxSurge: number | string } };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
};

describe("the Kubernetes manifests", () => {
  it("each validate against the Kubernetes OpenAPI schemas", () => {
    expect(manifests.map((manifest) => manifest.kind).sort()).toEqual(
      ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Job", "PodDisruptionBudget", "Secret", "Service"].sort(),
    );
    for (const manifest of manifests) expect(() => validate(manifest), `${manifest.kind} ${manifest.metadata.name}`).not.toThrow();
  });

  it("are rejected by the schemas when a field has the wrong shape", () => {
    const deployment = structuredClone(one<DeploymentManifest>("Deployment"));
    (deployment.spec as Record<string, unknown>).replicas = "two";
    expect(() => validate(deployment)).toThrow(/replicas/);
    const hpa = structuredClone(one<Manifest & { spec: Record<string, unknown> }>("HorizontalPodAutoscaler"));
    delete hpa.spec.maxReplicas;
    expect(() => validate(hpa)).toThrow(/maxReplicas/);
    const service = structuredClone(one<Manifest & { spec: { ports: { port: unknown }[] } }>("Service"));
    service.spec.ports[0]!.port = "eighty";
    expect(() => validate(service)).toThrow(/port/);
  });

  it("roll out without losing a ready pod, probe Chorus's health routes, and run as non-root with limits", () => {
    const deployment = one<DeploymentManifest>("Deployment");
    expect(deployment.spec.strategy).toMatchObject({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0 } });
    // The selector picks the template's pods.
    for (const [label, value] of Object.entries(deployment.spec.selector.matchLabels))
      expect(deployment.spec.template.metadata.labels[label], label).toBe(value);
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0]!;
    expect(container.readinessProbe!.httpGet.path).toBe("/api/health/ready");
    expect(container.livenessProbe!.httpGet.path).toBe("/api/health/live");
    expect(container.startupProbe!.httpGet.path).toBe("/api/health/live");
    const portNames = new Set(container.ports!.flatMap((port) => [port.name, port.containerPort]));
    for (const probe of [container.readinessProbe!, container.livenessProbe!, container.startupProbe!]) {
      // Each probe's path is a route Chorus answers, on a port the container declares.
      expect(matchRestRoute("GET", probe.httpGet.path), probe.httpGet.path).toMatchObject({ route: { path: probe.httpGet.path } });
      expect(portNames).toContain(probe.httpGet.port);
    }
    expect(container.ports!.map((port) => port.containerPort)).toContain(3000);
    expect(container.resources!.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources!.limits).toMatchObject({ memory: expect.any(String) });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(pod.securityContext!.runAsUser).not.toBe(0);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(container.envFrom).toEqual([{ configMapRef: { name: "chorus-config" } }, { secretRef: { name: "chorus-secrets" } }]);
  });

  it("wire the Service, autoscaler, disruption budget and migration Job to the Deployment", () => {
    const deployment = one<DeploymentManifest>("Deployment");
    const pod = deployment.spec.template.spec;
    const labels = deployment.spec.template.metadata.labels;
    const selects = (selector: Record<string, string>) => Object.entries(selector).every(([label, value]) => labels[label] === value);

    const service = one<Manifest & { spec: { selector: Record<string, string>; ports: { targetPort: string | number }[] } }>("Service");
    expect(selects(service.spec.selector)).toBe(true);
    for (const port of service.spec.ports)
      expect(
        pod.containers[0]!.ports!.some((declared) => declared.name === port.targetPort || declared.containerPort === port.targetPort),
      ).toBe(true);

    const hpa = one<Manifest & { spec: { scaleTargetRef: { apiVersion: string; kind: string; name: string }; minReplicas: number } }>(
      "HorizontalPodAutoscaler",
    );
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);

    const pdb = one<Manifest & { spec: { selector: { matchLabels: Record<string, string> }; minAvailable: number } }>(
      "PodDisruptionBudget",
    );
    expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
    expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);

    const job = one<Manifest & { spec: { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } }>("Job");
    const migrate = job.spec.template.spec.containers[0]!;
    expect(migrate.command).toEqual(["node", "bin/chorus.mjs", "migrate"]);
    expect(migrate.image).toBe(pod.containers[0]!.image);
    expect(migrate.envFrom).toEqual(pod.containers[0]!.envFrom);
    expect(job.spec.template.spec.restartPolicy).toBe("Never");
    expect(job.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true });
    // The Job's pods are not the Deployment's: the Service and the budget must not count them.
    expect(selects(job.spec.template.metadata.labels) && selects(service.spec.selector)).toBe(false);

    // Every name the pods refer to is defined here.
    const configMap = one<Manifest>("ConfigMap");
    const secret = one<Manifest>("Secret");
    expect(pod.containers[0]!.envFrom!.map((source) => source.configMapRef?.name ?? source.secretRef?.name)).toEqual([
      configMap.metadata.name,
      secret.metadata.name,
    ]);
  });

  it("set only variables Chorus reads, with valid settings and placeholder secrets that cannot start", () => {
    const configMap = one<Manifest & { data: Record<string, string> }>("ConfigMap");
    const secret = one<Manifest & { stringData: Record<string, string> }>("Secret");
    expect(unknownChorusVariables([...Object.keys(configMap.data), ...Object.keys(secret.stringData)])).toEqual([]);
    expect(unknownChorusVariables(["CHORUS_WORKER"])).toEqual(["CHORUS_WORKER"]);
    // The settings are valid as they stand.
    expect(() => parseEnv({ ...configMap.data, DATABASE_URL: "postgres://chorus@db:5432/chorus" })).not.toThrow();
    // Every secret is a marked placeholder (or empty, for the optional provider keys), and Chorus
    // refuses to start on the placeholders, naming each.
    for (const [name, value] of Object.entries(secret.stringData)) expect(["CHANGE-ME", ""], name).toContain(value);
    const placeholders = Object.keys(secret.stringData).filter((name) => secret.stringData[name] === "CHANGE-ME");
    expect(placeholders.length).toBeGreaterThanOrEqual(3);
    const refusal = (() => {
      try {
        parseEnv({ ...configMap.data, ...secret.stringData });
        return "";
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const name of placeholders) expect(refusal).toContain(`${name}:`);
  });

  it("are all listed in the kustomization, with the image it sets", () => {
    const kustomization = readYaml(`${K8S}/kustomization.yaml`) as { resources: string[]; images: { name: string }[] };
    expect([...kustomization.resources].sort()).toEqual([...manifestFiles].sort());
    const image = one<DeploymentManifest>("Deployment").spec.template.spec.containers[0]!.image;
    expect(image.split(":")[0]).toBe(kustomization.images[0]!.name);
  });
});
