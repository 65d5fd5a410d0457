import { convertWorkflowTemplate, isString, NoOperationTraceWriter, parseWorkflow, type WorkflowTemplate } from "@actions/workflow-parser";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { readRepoFile } from "../support/deploy-files";

/**
 * .github/workflows/ci.yml, read by GitHub's own workflow parser (@actions/workflow-parser:
 * the workflow schema, expressions, then conversion to a workflow template), and checked to do
 * what .ci/run does — the same Debian packages, every npm script it runs — then build the image
 * from deploy/Dockerfile and push it to GHCR only from main.
 */
const workflowText = readRepoFile(".github/workflows/ci.yml");

async function parse(content: string) {
  const parsed = parseWorkflow({ name: "ci.yml", content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((error) => error.message);
  if (errors.length > 0 || !parsed.value) return { errors, template: undefined };
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  return { errors: [...errors, ...(template.errors ?? []).map((error) => error.Message)], template };
}

/** The converted template's jobs, with their tokens read as text. */
function jobsOf(template: WorkflowTemplate) {
  const text = (token: unknown) => (token && isString(token as never) ? (token as { value: string }).value : "");
  return template.jobs.map((job) => ({
    id: job.id.value,
    needs: job.needs?.map((need) => need.value),
    runs: job.type === "job" ? job.steps.map((step) => ("run" in step ? text(step.run) : "")) : [],
  }));
}

describe("the CI workflow for adopters", () => {
  it("parses and converts without errors", async () => {
    const { errors, template } = await parse(workflowText);
    expect(errors).toEqual([]);
    expect(jobsOf(template!).map((job) => job.id)).toEqual(["test", "image"]);
  });

  it("is rejected when broken", async () => {
    expect((await parse(workflowText.replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest"))).errors).toContainEqual(
      expect.stringMatching(/runs_on|runs-on/),
    );
    expect((await parse(workflowText.replace("${{ steps.meta.outputs.tags }}", "${{ steps.meta.outputs.tags }"))).errors).toContainEqual(
      expect.stringMatching(/not closed/),
    );
    expect((await parse(workflowText.replace("permissions:\n  contents: read", "permissions:\n  contents: sometimes"))).errors).not.toEqual(
      [],
    );
  });

  it("installs and runs what .ci/run does", async () => {
    const ciRun = readRepoFile(".ci/run");
    const { template } = await parse(workflowText);
    const commands = jobsOf(template!)
      .find((job) => job.id === "test")!
      .runs.join("\n");
    // The Debian packages .ci/run installs when missing.
    const packages = [...ciRun.matchAll(/missing\+=\((\S+)\)/g)].map((match) => match[1]!);
    expect(packages).toEqual(expect.arrayContaining(["chromium", "redis-server", "prometheus"]));
    for (const name of packages) expect(commands).toMatch(new RegExp(`apt-get install[^\\n]*\\b${name}\\b`));
    // Every npm script .ci/run runs (`npm test` is test:unit then test:e2e).
    const scripts = (JSON.parse(readRepoFile("package.json")) as { scripts: Record<string, string> }).scripts;
    const ranByCiRun = [...ciRun.matchAll(/^npm (?:run )?([\w:]+)/gm)].map((match) => match[1]!).filter((script) => script !== "ci");
    const expanded = ranByCiRun.flatMap((script) =>
      script === "test" ? [...scripts.test!.matchAll(/npm run ([\w:]+)/g)].map((match) => match[1]!) : [script],
    );
    expect(expanded.length).toBeGreaterThanOrEqual(5);
    for (const script of expanded) expect(commands, script).toMatch(new RegExp(`npm run ${script}(\\s|$)`));
    expect(commands).toMatch(/npm ci\b/);
    // On Debian, as .ci/run expects.
    const raw = parseYaml(workflowText) as { jobs: Record<string, { container?: string; permissions?: Record<string, string> }> };
    expect(raw.jobs.test!.container).toMatch(/^node:20-bookworm/);
  });

  it("builds the image from deploy/Dockerfile after the tests, pushing it to GHCR only from main", async () => {
    const { template } = await parse(workflowText);
    const image = jobsOf(template!).find((job) => job.id === "image")!;
    expect(image.needs).toEqual(["test"]);
    const raw = parseYaml(workflowText) as {
      permissions: Record<string, string>;
      jobs: Record<
        string,
        { permissions?: Record<string, string>; steps: { uses?: string; with?: Record<string, string>; if?: string }[] }
      >;
    };
    // Least privilege: read-only by default, packages: write for the image job alone.
    expect(raw.permissions).toEqual({ contents: "read" });
    expect(raw.jobs.image!.permissions).toEqual({ contents: "read", packages: "write" });
    expect(raw.jobs.test!.permissions).toBeUndefined();
    const build = raw.jobs.image!.steps.find((step) => step.uses?.startsWith("docker/build-push-action@"))!;
    expect(build.with).toMatchObject({ context: ".", file: "deploy/Dockerfile" });
    const onMain = "github.event_name == 'push' && github.ref == 'refs/heads/main'";
    expect(build.with!.push).toBe(`\${{ ${onMain} }}`);
    const login = raw.jobs.image!.steps.find((step) => step.uses?.startsWith("docker/login-action@"))!;
    expect(login).toMatchObject({ if: onMain, with: { registry: "ghcr.io", password: "${{ secrets.GITHUB_TOKEN }}" } });
    const meta = raw.jobs.image!.steps.find((step) => step.uses?.startsWith("docker/metadata-action@"))!;
    expect(meta.with!.images).toBe("ghcr.io/${{ github.repository }}");
  });
});
