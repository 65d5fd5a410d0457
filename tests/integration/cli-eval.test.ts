import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { getDb } from "@/server/db/client";
import { createDataset } from "@/server/evals/datasets";
import type { EvalRunSummary } from "@/server/cli/eval-gate";
import { useApiServer } from "../support/api-server";
import { createTeamWithMembers, THREE_AGENT_PROMPT, useEmbeddedExecutor } from "../support/fixtures";

/**
 * `chorus eval run`, the CI gate (docs/evals.md#ci-gate): the real CLI, in its own process,
 * against Chorus's API on a test server with the embedded executor and the offline model — the
 * exit codes a pipeline sees, the reasons it prints and the JSON summary it writes — and once
 * in local mode, where the CLI serves the API itself.
 */
useEmbeddedExecutor();
const api = useApiServer();

let dir: string;
let apiKey: string;
let teamSlug: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI, spawned (not spawnSync: the server it calls runs in this process). */
function chorus(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("node", ["bin/chorus.mjs", ...args], { env: { ...process.env, LOG_LEVEL: "warn", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += String(chunk)));
    child.stderr.on("data", (chunk) => (stderr += String(chunk)));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const remote = () => ({ CHORUS_URL: api.baseURL, CHORUS_API_KEY: apiKey });

function configFile(name: string, config: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof config === "string" ? config : JSON.stringify(config));
  return file;
}

/**
 * Two cases: one the offline model's answer satisfies (it writes about community gardens), one it
 * cannot; both with a pattern no answer matches, so turning the regex scorer on lowers the mean.
 */
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "chorus-eval-cli-"));
  const { team, callers } = await createTeamWithMembers();
  teamSlug = team.slug;
  apiKey = (await createApiKey({ teamId: team.id, role: "user", name: "ci" })).key;
  await createDataset(callers.user, {
    name: "gardens",
    cases: [
      { key: "gardens", prompt: THREE_AGENT_PROMPT, expected: { contains: ["community garden"], matches: ["xyzzy-never-written"] } },
      {
        key: "physics",
        prompt: "Summarise the state of lattice QCD.",
        expected: { contains: ["a phrase no offline answer holds"], matches: ["xyzzy-never-written"] },
      },
    ],
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("chorus eval run", () => {
  let baselineId: string;
  const contentOnly = () => configFile("content-only.json", { scorers: { regex: 0 }, concurrency: 2 });

  it("passes the gate (exit 0), printing a row per case, the aggregate and a JSON summary", async () => {
    const json = path.join(dir, "summary.json");
    const run = await chorus(
      [
        "eval",
        "run",
        "--dataset",
        "gardens",
        "--config",
        contentOnly(),
        "--fail-under",
        "0.5",
        "--pass-rate-under",
        "0.5",
        "--name",
        "baseline",
        "--json",
        json,
      ],
      remote(),
    );
    expect(run.stderr).toMatch(/Started experiment baseline \(\w+\) of 2 cases/);
    expect(run.stderr).toMatch(/2\/2 cases done/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^CASE\s+STATUS\s+SCORE\s+PASS\s+COST\s+TIME$/m);
    expect(run.stdout).toMatch(/^gardens\s+passed\s+1\.000\s+yes/m);
    expect(run.stdout).toMatch(/^physics\s+failed\s+0\.000\s+no/m);
    expect(run.stdout).toContain("pass rate 50.0% (1/2), mean score 0.500");
    expect(run.stdout).toContain("Gate passed.");

    const summary = JSON.parse(readFileSync(json, "utf8")) as EvalRunSummary;
    expect(summary).toMatchObject({
      experiment: { name: "baseline", status: "completed", dataset: { name: "gardens", version: 1 } },
      passRate: 0.5,
      meanScore: 0.5,
      counts: { total: 2, passed: 1, failed: 1, errored: 0 },
      baseline: null,
      gate: { passed: true, exitCode: 0, reasons: [], thresholds: { failUnder: 0.5, passRateUnder: 0.5, maxRegression: 0 } },
    });
    expect(summary.experiment.url).toBe(`${api.baseURL}/evals/experiments/${summary.experiment.id}`);
    expect(summary.cases.map((result) => [result.key, result.passed, result.scores.contains])).toEqual([
      ["gardens", true, 1],
      ["physics", false, 0],
    ]);
    expect(summary.cases[0]!.scores.regex).toBeUndefined();
    baselineId = summary.experiment.id;
  });

  it("fails the gate (exit 1) under --fail-under, saying why", async () => {
    const run = await chorus(
      ["eval", "run", "--dataset", "gardens", "--config", contentOnly(), "--fail-under", "0.9", "--json", "-"],
      remote(),
    );
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout) as EvalRunSummary;
    expect(summary.gate).toMatchObject({ passed: false, exitCode: 1, reasons: ["mean score 0.500 is under --fail-under 0.9"] });
    // With the JSON on stdout, the report goes to stderr.
    expect(run.stderr).toContain("Gate failed (exit 1):\n  - mean score 0.500 is under --fail-under 0.9");
  });

  it("fails the gate (exit 1) when the mean score regressed from the baseline, and passes within --max-regression", async () => {
    // The regex scorer on: no answer matches its pattern, so the passing case's score drops.
    const withRegex = configFile("with-regex.json", { concurrency: 2 });
    const json = path.join(dir, "regressed.json");
    const run = await chorus(
      ["eval", "run", "--dataset", "gardens", "--config", withRegex, "--baseline", baselineId, "--json", json],
      remote(),
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`- mean score fell [\\d.]+ points from the baseline ${baselineId} \\(0\\.500 → 0\\.\\d+\\)`));
    const summary = JSON.parse(readFileSync(json, "utf8")) as EvalRunSummary;
    expect(summary.baseline).toMatchObject({ id: baselineId, meanScore: 0.5 });
    expect(summary.baseline!.deltas.meanScore).toBeLessThan(0);
    expect(summary.baseline!.regressedCases).toContain("gardens");
    expect(summary.cases[0]!.scores.regex).toBe(0);

    const allowed = await chorus(
      ["eval", "run", "--dataset", "gardens", "--config", withRegex, "--baseline", baselineId, "--max-regression", "100"],
      remote(),
    );
    expect(allowed.code).toBe(0);
  });

  it("refuses a bad configuration (exit 2) naming the file and the field, before starting anything", async () => {
    const before = await getDb().evalExperiment.count();
    const bad = configFile("bad.json", { concurrency: 99, scorers: { contains: 1, vibes: 2 } });
    const run = await chorus(["eval", "run", "--dataset", "gardens", "--config", bad], remote());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${bad}: concurrency:`);
    expect(run.stderr).toMatch(new RegExp(`${bad}: scorers(\\.vibes)?:`));

    const notJson = await chorus(["eval", "run", "--dataset", "gardens", "--config", configFile("broken.json", "{ models: ")], remote());
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain("broken.json: not valid JSON");

    const badThreshold = await chorus(["eval", "run", "--dataset", "gardens", "--config", contentOnly(), "--fail-under", "high"], remote());
    expect(badThreshold.code).toBe(2);
    expect(badThreshold.stderr).toContain('--fail-under must be a number from 0 to 1; got "high"');

    const noDataset = await chorus(["eval", "run", "--dataset", "nope", "--config", contentOnly()], remote());
    expect(noDataset.code).toBe(2);
    expect(noDataset.stderr).toContain('the team has no dataset named "nope"');

    const badKey = await chorus(["eval", "run", "--dataset", "gardens", "--config", contentOnly()], {
      ...remote(),
      CHORUS_API_KEY: "chorus_nope_x",
    });
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain("the server refused (401");

    // --help is an answer, not a usage error.
    const help = await chorus(["eval", "run", "--help"], remote());
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("chorus eval run --dataset NAME --config FILE");
    expect(await getDb().evalExperiment.count()).toBe(before);
  });

  it("exits 3 when the experiment does not complete in --timeout, and cancels it", async () => {
    const run = await chorus(
      ["eval", "run", "--dataset", "gardens", "--config", contentOnly(), "--timeout", "1ms", "--json", "-"],
      remote(),
    );
    expect(run.code).toBe(3);
    const summary = JSON.parse(run.stdout) as EvalRunSummary;
    expect(summary.gate.reasons[0]).toContain("did not finish within --timeout");
    const experiment = await getDb().evalExperiment.findUniqueOrThrow({ where: { id: summary.experiment.id } });
    expect(experiment.status).toBe("cancelled");
  });

  it("runs against this installation without --url (local mode), with a key it revokes afterwards", async () => {
    const run = await chorus(
      ["eval", "run", "--dataset", "gardens", "--config", contentOnly(), "--team", teamSlug, "--fail-under", "0.5", "--json", "-"],
      {
        CHORUS_URL: undefined,
        CHORUS_API_KEY: undefined,
      },
    );
    expect(run.stderr).not.toContain("unexpected error");
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as EvalRunSummary;
    expect(summary).toMatchObject({ meanScore: 0.5, experiment: { url: null, status: "completed" } });
    const keys = await getDb().apiKey.findMany({ where: { name: "chorus eval run (local)" } });
    expect(keys).toHaveLength(1);
    expect(keys[0]!.revokedAt).not.toBeNull();
  });
});
