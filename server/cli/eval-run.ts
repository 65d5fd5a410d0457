import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { getEnv } from "@/server/env";
import { evalRunConfig, experimentStatuses, type EvalRunConfig, type ExperimentView } from "@/server/evals/eval-schemas";
import { EvalsApiClient, EvalsApiError } from "@/server/cli/evals-api-client";
import { EXIT, judgeExperiment, summariseRun, type GateThresholds } from "@/server/cli/eval-gate";
import type { LocalChorus } from "@/server/cli/local-chorus";
import { aggregateLines, errorLines, evalRunUsage, progressLine, resultsTable } from "@/server/cli/eval-run-output";

/**
 * `chorus eval run`: runs an experiment of a dataset under a configuration file and gates on it —
 * the CI gate of docs/evals.md#ci-gate. Against a server (--url / CHORUS_URL, with an API key) or,
 * without one, against this installation (server/cli/local-chorus.ts). Resolves to the process's
 * exit code: 0 passed, 1 a threshold or the baseline failed, 2 usage or configuration, 3 the
 * experiment did not complete.
 */

/** A mistake in how the command was called: exit 2 with the message and the usage. */
class EvalUsageError extends Error {}
/** A bad configuration file, dataset name, key or server: exit 2 with the message alone (the usage would bury it). */
class EvalSetupError extends EvalUsageError {}

/** How often the experiment is read while it runs, and the longest the progress stays silent when nothing changes. */
const POLL_MS = 1_000;
const QUIET_PROGRESS_MS = 10_000;
/** Reads that fail in a row while the experiment runs before the CLI gives up on it. */
const MAX_FAILED_POLLS = 10;

function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"];
  return ms > 0 ? ms : undefined;
}

function number(values: Record<string, string | boolean | undefined>, name: string, min: number, max: number): number | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !Number.isFinite(parsed) || parsed < min || parsed > max)
    throw new EvalUsageError(`--${name} must be a number from ${min} to ${max}; got "${String(value)}"`);
  return parsed;
}

/** The folder the user ran `chorus` in (bin/chorus.mjs moves to the project root): relative paths are theirs. */
function userPath(file: string): string {
  return path.resolve(getEnv().CHORUS_CLI_CWD ?? process.cwd(), file);
}

/** The configuration file, validated with the experiments' own schema: an error names the file and the field. */
export async function readRunConfig(file: string): Promise<EvalRunConfig> {
  let text: string;
  try {
    text = await readFile(userPath(file), "utf8");
  } catch (error) {
    throw new EvalSetupError(`--config ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new EvalSetupError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = evalRunConfig.safeParse(json);
  if (!parsed.success)
    throw new EvalSetupError(
      parsed.error.issues
        .map((issue) => `${file}: ${issue.path.length > 0 ? issue.path.join(".") : "(the file)"}: ${issue.message}`)
        .join("\n"),
    );
  return parsed.data;
}

const finished = new Set<string>(experimentStatuses.filter((status) => status !== "queued" && status !== "running"));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the experiment until it finishes (or the deadline passes), showing progress on stderr. */
async function waitForExperiment(
  client: EvalsApiClient,
  started: ExperimentView,
  deadline: number,
  interrupted: { signal?: string },
): Promise<{ experiment: ExperimentView; timedOut: boolean }> {
  const tty = process.stderr.isTTY === true;
  let experiment = started;
  let shown = "";
  let shownAt = 0;
  let failedPolls = 0;
  for (;;) {
    const line = progressLine(experiment);
    if (tty) process.stderr.write(`\r\u001b[2K${line}`);
    else if (line !== shown || Date.now() - shownAt >= QUIET_PROGRESS_MS) process.stderr.write(`${line}\n`);
    if (line !== shown) [shown, shownAt] = [line, Date.now()];
    if (finished.has(experiment.status) || interrupted.signal) break;
    if (Date.now() >= deadline) {
      if (tty) process.stderr.write("\n");
      return { experiment, timedOut: true };
    }
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
    try {
      experiment = await client.getExperiment(experiment.id);
      failedPolls = 0;
    } catch (error) {
      if (++failedPolls >= MAX_FAILED_POLLS) throw error;
    }
  }
  if (tty) process.stderr.write("\n");
  return { experiment, timedOut: false };
}

export async function runEvalCommand(args: string[]): Promise<number> {
  const state = { started: false };
  try {
    return await runEval(args, state);
  } catch (error) {
    if (
      error instanceof EvalUsageError ||
      (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))
    ) {
      console.error(
        error instanceof EvalSetupError
          ? `chorus eval run: ${error.message}`
          : `chorus eval run: ${error.message}\n\nUsage:\n${evalRunUsage}`,
      );
      return EXIT.usage;
    }
    // Never exit 1 on a crash: to a pipeline, 1 means the scores failed the gate. Before the
    // experiment started it is the set-up (2: the database, the environment); after, the
    // experiment's outcome is unknown (3).
    const message = error instanceof Error ? error.message : String(error);
    console.error(state.started ? `chorus eval run: lost the experiment: ${message}` : `chorus eval run: ${message}`);
    return state.started ? EXIT.incomplete : EXIT.usage;
  }
}

async function runEval(args: string[], state: { started: boolean }): Promise<number> {
  const [action, ...rest] = args;
  if (
    action === undefined ||
    action === "help" ||
    action === "--help" ||
    action === "-h" ||
    rest.includes("--help") ||
    rest.includes("-h")
  ) {
    console.log(`Usage:\n${evalRunUsage}`);
    return EXIT.passed;
  }
  if (action !== "run")
    throw new EvalUsageError(`unknown command "${`eval ${action ?? ""}`.trim()}"; the eval command is: chorus eval run …`);
  const { values } = parseArgs({
    args: rest,
    allowPositionals: false,
    strict: true,
    options: {
      dataset: { type: "string" },
      config: { type: "string" },
      baseline: { type: "string" },
      "fail-under": { type: "string" },
      "pass-rate-under": { type: "string" },
      "max-regression": { type: "string" },
      name: { type: "string" },
      budget: { type: "string" },
      json: { type: "string" },
      timeout: { type: "string" },
      url: { type: "string" },
      "api-key": { type: "string" },
      team: { type: "string" },
    },
  });
  const dataset = values.dataset;
  if (!dataset) throw new EvalUsageError("--dataset is required (the dataset's name)");
  if (!values.config) throw new EvalUsageError("--config is required (a JSON file with the experiment's configuration)");
  const thresholds: GateThresholds = {
    failUnder: number(values, "fail-under", 0, 1),
    passRateUnder: number(values, "pass-rate-under", 0, 1),
    maxRegression: number(values, "max-regression", 0, 100) ?? 0,
  };
  if (values["max-regression"] !== undefined && !values.baseline) throw new EvalUsageError("--max-regression needs --baseline");
  const budgetUsd = number(values, "budget", 0, 1_000_000);
  if (budgetUsd === 0) throw new EvalUsageError("--budget must be more than 0 US dollars");
  const timeoutMs = values.timeout === undefined ? undefined : parseDuration(values.timeout);
  if (values.timeout !== undefined && timeoutMs === undefined)
    throw new EvalUsageError(`--timeout must be a duration such as 90s, 30m or 2h; got "${values.timeout}"`);
  const config = await readRunConfig(values.config);

  const env = getEnv();
  const url = values.url ?? env.CHORUS_URL;
  if (values["api-key"] !== undefined)
    console.error("chorus eval run: warning: a key given with --api-key shows in the process list; prefer CHORUS_API_KEY.");
  let local: LocalChorus | undefined;
  let client: EvalsApiClient;
  if (url) {
    if (!/^https?:\/\/[^/]+/.test(url)) throw new EvalUsageError(`--url must be an http:// or https:// URL; got "${url}"`);
    const apiKey = values["api-key"] ?? env.CHORUS_API_KEY;
    if (!apiKey) throw new EvalUsageError("an API key is needed with --url: set CHORUS_API_KEY (a key of role user or admin)");
    if (values.team !== undefined) throw new EvalUsageError("--team is for local mode; against a server, the API key's team is used");
    client = new EvalsApiClient(url, apiKey);
  } else {
    if (!values.team) throw new EvalUsageError("--team SLUG is required without --url (local mode runs against this installation)");
    const { startLocalChorus } = await import("@/server/cli/local-chorus");
    try {
      local = await startLocalChorus({ teamSlug: values.team, keyLifetimeMs: (timeoutMs ?? 24 * 3_600_000) + 3_600_000 });
    } catch (error) {
      if (error instanceof Error && "code" in error && error.code === "not_found") throw new EvalSetupError(error.message);
      throw error;
    }
    client = new EvalsApiClient(local.url, local.apiKey);
  }

  const interrupted: { signal?: string } = {};
  const onSignal = (signal: string) => {
    interrupted.signal = signal;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    let started: ExperimentView;
    try {
      const found = await client.findDataset(dataset);
      if (!found) throw new EvalSetupError(`the team has no dataset named "${dataset}"`);
      started = await client.startExperiment({ datasetId: found.id, name: values.name, config, budgetUsd, baselineId: values.baseline });
    } catch (error) {
      if (error instanceof EvalsApiError)
        throw new EvalSetupError(
          error.field === "baselineId"
            ? `--baseline: ${error.message}`
            : `${error.status === 0 ? "" : `the server refused (${error.status} ${error.code}): `}${error.field ? `${error.field}: ` : ""}${error.message}`,
        );
      throw error;
    }
    state.started = true;
    console.error(
      `Started experiment ${started.name} (${started.id}) of ${started.caseCount} cases${local ? "" : `: ${client.experimentUrl(started.id)}`}`,
    );

    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
    const waited = await waitForExperiment(client, started, deadline, interrupted);
    const { timedOut } = waited;
    let experiment = waited.experiment;
    if (timedOut || (interrupted.signal && !finished.has(experiment.status))) {
      // Stop spending on a run nobody waits for; what it finished stays readable.
      await client.cancelExperiment(experiment.id).catch(() => undefined);
      experiment = await client.getExperiment(experiment.id).catch(() => experiment);
      if (interrupted.signal) console.error(`chorus eval run: ${interrupted.signal}: cancelled experiment ${experiment.id}`);
    }
    const comparison =
      values.baseline && experiment.status === "completed" ? await client.compare(values.baseline, experiment.id) : undefined;
    const verdict = judgeExperiment(experiment, thresholds, comparison, timedOut);
    const summary = summariseRun({ experiment, url: local ? null : client.experimentUrl(experiment.id), comparison, thresholds, verdict });

    // With the JSON on stdout, the human-readable report goes to stderr so the two never mix.
    const report = values.json === "-" ? console.error : console.log;
    if (experiment.results.length > 0) report(resultsTable(experiment));
    const errors = errorLines(experiment);
    if (errors.length > 0) report(`\nErrors:\n${errors.join("\n")}`);
    report("");
    for (const line of aggregateLines(summary)) report(line);
    const json = `${JSON.stringify(summary, null, 2)}\n`;
    if (values.json === "-") process.stdout.write(json);
    else if (values.json !== undefined) await writeFile(userPath(values.json), json);
    return verdict.exitCode;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await local?.stop();
  }
}
