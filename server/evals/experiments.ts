import { recordAudit } from "@/server/audit/record-audit";
import { requirePermission, type Caller } from "@/server/auth/caller";
import {
  deleteExperimentRow,
  experimentExistsInTeam,
  findDatasetVersionForExperiment,
  findExperiment,
  findMissingAgentVersions,
  insertExperimentWithResults,
  listExperimentResults,
  listExperiments as listExperimentRows,
  listVersionCaseIds,
  markExperimentStopped,
} from "@/server/db/queries/eval-experiments";
import { AppError } from "@/server/errors";
import { logger } from "@/server/observability/logger";
import { cancelTask } from "@/server/tasks/task-actions";
import { parseInput } from "@/server/validation";
import { sendEvalExperimentCancelled, sendEvalExperimentStarted } from "@/inngest/client";
import { startExperimentInput, type ExperimentSummaryView, type ExperimentView } from "./eval-schemas";
import { experimentId as experimentIdSchema, listExperimentsInput } from "./experiment-inputs";
import { presentExperiment, presentExperimentSummary } from "./experiment-views";

/**
 * Experiments' use-cases (docs/evals.md#experiments): start one over a dataset version, read and
 * list them, cancel and delete. Each takes the caller first, checks the role and works inside
 * the caller's team. The run itself — starting the cases' tasks, scoring them, keeping the
 * budget — is the durable function inngest/functions/eval-experiment.ts driving
 * experiment-rounds.ts.
 */

const experimentNotFound = () => new AppError("not_found", "Experiment not found", "id");

const ACTIVE = ["queued", "running"];

export async function startExperiment(caller: Caller, rawInput: unknown): Promise<ExperimentView> {
  requirePermission(caller, "execute");
  const input = parseInput(startExperimentInput, rawInput);
  const choice = await findDatasetVersionForExperiment(caller.teamId, input.datasetId, input.datasetVersion);
  if (!choice) throw new AppError("not_found", "Dataset not found", "datasetId");
  if (!choice.version) {
    throw new AppError("not_found", `Dataset "${choice.dataset.name}" has no version ${input.datasetVersion}`, "datasetVersion");
  }
  const cases = await listVersionCaseIds(caller.teamId, choice.version.id);
  if (cases.length === 0) {
    throw new AppError(
      "bad_request",
      `Version ${choice.version.version} of dataset "${choice.dataset.name}" has no cases to run`,
      "datasetId",
    );
  }
  const missing = await findMissingAgentVersions(caller.teamId, input.config.agentVersions ?? {});
  if (missing.length > 0) {
    const [kind] = missing;
    throw new AppError(
      "bad_request",
      `The team has no version ${input.config.agentVersions![kind!]} of agent "${kind}"`,
      `config.agentVersions.${kind}`,
    );
  }
  if (input.baselineId && !(await experimentExistsInTeam(caller.teamId, input.baselineId))) {
    throw new AppError("not_found", "The baseline experiment was not found", "baselineId");
  }
  const id = await insertExperimentWithResults({
    teamId: caller.teamId,
    name: input.name ?? `${choice.dataset.name} v${choice.version.version} · ${new Date().toISOString().slice(0, 16).replace("T", " ")}`,
    datasetId: choice.dataset.id,
    datasetVersionId: choice.version.id,
    config: input.config,
    budgetUsd: input.budgetUsd ?? null,
    baselineId: input.baselineId ?? null,
    createdById: caller.userId ?? null,
    apiKeyId: caller.apiKeyId ?? null,
    cases,
  });
  await recordAudit(caller, {
    action: "eval.experiment_started",
    target: { type: "eval_experiment", id },
    details: {
      datasetId: choice.dataset.id,
      datasetVersion: choice.version.version,
      cases: cases.length,
      budgetUsd: input.budgetUsd ?? null,
    },
  });
  await sendEvalExperimentStarted({ experimentId: id, teamId: caller.teamId });
  return getExperiment(caller, id);
}

export async function getExperiment(caller: Caller, rawId: unknown): Promise<ExperimentView> {
  requirePermission(caller, "read");
  const id = parseExperimentId(rawId);
  const [row, results] = await Promise.all([findExperiment(caller.teamId, id), listExperimentResults(caller.teamId, id)]);
  if (!row) throw experimentNotFound();
  return presentExperiment(row, results);
}

export async function listExperiments(caller: Caller, rawInput: unknown = {}): Promise<ExperimentSummaryView[]> {
  requirePermission(caller, "read");
  const input = parseInput(listExperimentsInput, rawInput);
  const rows = await listExperimentRows(caller.teamId, input);
  return rows.map((row) => presentExperimentSummary(row, row));
}

/**
 * Cancels a queued or running experiment: pending cases are skipped, running cases' tasks are
 * cancelled (what they spent so far stays counted), and the run stops (its cancelOn event).
 */
export async function cancelExperiment(caller: Caller, rawId: unknown): Promise<ExperimentView> {
  requirePermission(caller, "execute");
  const id = parseExperimentId(rawId);
  const row = await findExperiment(caller.teamId, id);
  if (!row) throw experimentNotFound();
  const runningTasks = await markExperimentStopped(caller.teamId, id, {
    status: "cancelled",
    error: "Cancelled",
    caseError: "experiment cancelled",
  });
  if (!runningTasks)
    throw new AppError(
      "conflict",
      `Cannot cancel an experiment that is ${row.status.replace("_", " ")}; only queued or running ones can be`,
      "status",
    );
  for (const taskId of runningTasks) {
    // A task that finished meanwhile is left as it is (cancelTask answers 409).
    await cancelTask(caller, taskId).catch((error: unknown) => {
      if (!(error instanceof AppError)) logger.warn("could not cancel an experiment's task", { experimentId: id, taskId, error });
    });
  }
  await recordAudit(caller, {
    action: "eval.experiment_cancelled",
    target: { type: "eval_experiment", id },
    details: { from: row.status },
  });
  try {
    await sendEvalExperimentCancelled({ experimentId: id });
  } catch (error) {
    // The run also sees the status at its next round and stops there.
    logger.warn("experiment cancel event not delivered; the run stops at its next round", { experimentId: id, error });
  }
  return getExperiment(caller, id);
}

/** Deletes a finished experiment and its results (admins). A queued or running one must be cancelled first: 409 naming `id`. */
export async function deleteExperiment(caller: Caller, rawId: unknown): Promise<{ deleted: string }> {
  requirePermission(caller, "delete");
  const id = parseExperimentId(rawId);
  const row = await findExperiment(caller.teamId, id);
  if (!row) throw experimentNotFound();
  if (ACTIVE.includes(row.status)) throw new AppError("conflict", `The experiment is ${row.status}: cancel it before deleting it`, "id");
  if (!(await deleteExperimentRow(caller.teamId, id))) throw experimentNotFound();
  await recordAudit(caller, { action: "eval.experiment_deleted", target: { type: "eval_experiment", id }, details: { name: row.name } });
  return { deleted: id };
}

/** An experiment id as the caller gave it; a malformed one finds nothing. */
export function parseExperimentId(raw: unknown): string {
  const parsed = experimentIdSchema.safeParse(raw);
  if (!parsed.success) throw experimentNotFound();
  return parsed.data;
}
