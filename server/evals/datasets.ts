import { z } from "zod";
import { recordAudit } from "@/server/audit/record-audit";
import { requirePermission, type Caller } from "@/server/auth/caller";
import {
  deleteTeamDataset,
  findDatasetVersionCases,
  findTaskForCase,
  findTeamDatasetSummary,
  insertDataset,
  insertNextDatasetVersion,
  listDatasetVersions,
  listTeamDatasets,
  updateDatasetFields,
  type DatasetEdit,
  type DatasetEditRefusal,
  type DatasetSummaryRow,
  type DatasetVersionNote,
  type EvalCaseFields,
} from "@/server/db/queries/eval-datasets";
import { isUniqueViolation } from "@/server/db/unique-violation";
import type { InputJsonObject } from "@/server/db/types";
import { finishedTaskStatuses } from "@/server/domain/task-vocabulary";
import { AppError } from "@/server/errors";
import { parseInput } from "@/server/validation";
import { parseImport, type ImportedCase } from "./dataset-import";
import {
  caseFromTaskInput,
  caseKey,
  createDatasetInput,
  datasetName,
  evalCaseInput,
  MAX_CASES_PER_DATASET,
  updateDatasetInput,
  type DatasetSummaryView,
  type DatasetVersionView,
  type DatasetView,
  type EvalCaseView,
  type EvalExpectations,
} from "./eval-schemas";

/**
 * Evals' datasets (docs/evals.md#datasets): cases made from scratch, from a finished task, or
 * from a JSONL/CSV import, in immutable versions — every edit of the cases writes the next one,
 * and experiments record the version they ran. Viewers read; users ("write") build datasets;
 * only admins ("delete") delete one. Answers are the views in eval-schemas.ts.
 */

const ID = /^[a-z0-9]{1,64}$/i;
const noDataset = () => new AppError("not_found", "No such dataset in your team", "id");

/** An id as the caller gave it; anything that cannot be a dataset's id finds nothing (and never reaches SQL). */
function datasetIdOf(id: unknown): string {
  if (typeof id !== "string" || !ID.test(id)) throw noDataset();
  return id;
}

function keyOf(key: unknown): string {
  const parsed = caseKey.safeParse(key);
  if (!parsed.success) throw new AppError("not_found", "No case with that key in the dataset's latest version", "key");
  return parsed.data;
}

function presentSummary(row: DatasetSummaryRow): DatasetSummaryView {
  const last = row.lastExperiment;
  return {
    ...row,
    lastExperiment: last ? { ...last, status: last.status as NonNullable<DatasetSummaryView["lastExperiment"]>["status"] } : null,
  };
}

/** Why an edit wrote nothing, as the caller's error. */
function refusalError(refusal: DatasetEditRefusal, describeIndex: (index: number) => string = (index) => `cases[${index}]`): AppError {
  switch (refusal.refused) {
    case "dataset_not_found":
      return noDataset();
    case "case_not_found":
      return new AppError("not_found", `No case "${refusal.key}" in the dataset's latest version`, "key");
    case "key_taken":
      return new AppError("conflict", `${describeIndex(refusal.index)}: the key "${refusal.key}" is already used by another case`, "key");
    case "too_many_cases":
      return new AppError(
        "bad_request",
        `A dataset holds at most ${MAX_CASES_PER_DATASET} cases; this edit would make ${refusal.count}`,
        "cases",
      );
  }
}

const stored = (expected: EvalExpectations) => expected as InputJsonObject;
const caseFields = (input: ImportedCase, sourceTaskId?: string): EvalCaseFields => ({
  key: input.key,
  prompt: input.prompt,
  expected: stored(input.expected),
  sourceTaskId: sourceTaskId ?? null,
});

// ---- reading ---------------------------------------------------------------------------------

const listQuery = z.strictObject({ name: datasetName.optional() });

/** The team's datasets, by name; `?name=` finds one by its exact name (what the CLI's --dataset does). */
export async function listDatasets(caller: Caller, rawQuery: unknown = {}): Promise<DatasetSummaryView[]> {
  requirePermission(caller, "read");
  const { name } = parseInput(listQuery, rawQuery);
  return (await listTeamDatasets(caller.teamId, name)).map(presentSummary);
}

const versionQuery = z.strictObject({
  version: z.coerce
    .number({ error: "version must be a whole number" })
    .int("version must be a whole number")
    .positive("version must be 1 or more")
    .max(2_147_483_647, "version is too large")
    .optional(),
});

/** A dataset at its latest version, or at `version`, with that version's cases in order. */
export async function getDataset(caller: Caller, id: unknown, rawQuery: unknown = {}): Promise<DatasetView> {
  requirePermission(caller, "read");
  const datasetId = datasetIdOf(id);
  const { version: asked } = parseInput(versionQuery, rawQuery);
  const summary = await findTeamDatasetSummary(caller.teamId, datasetId);
  if (!summary) throw noDataset();
  const version = asked ?? summary.latestVersion;
  const found = await findDatasetVersionCases(caller.teamId, datasetId, version);
  if (!found) throw new AppError("not_found", `The dataset has no version ${version} (its latest is ${summary.latestVersion})`, "version");
  const cases: EvalCaseView[] = found.cases.map((row) => ({ ...row, expected: row.expected as EvalExpectations }));
  return { ...presentSummary(summary), caseCount: cases.length, version, cases };
}

/** The dataset's versions, newest first: number, what changed, how many cases, who and when. */
export async function listVersions(caller: Caller, id: unknown): Promise<DatasetVersionView[]> {
  requirePermission(caller, "read");
  const datasetId = datasetIdOf(id);
  const versions = await listDatasetVersions(caller.teamId, datasetId);
  if (versions.length === 0) throw noDataset();
  return versions;
}

// ---- building --------------------------------------------------------------------------------

export async function createDataset(caller: Caller, rawInput: unknown): Promise<DatasetView> {
  requirePermission(caller, "write");
  const input = parseInput(createDatasetInput, rawInput);
  const cases = (input.cases ?? []).map((item) => caseFields(item));
  let created: Awaited<ReturnType<typeof insertDataset>>;
  try {
    created = await insertDataset(
      caller.teamId,
      {
        name: input.name,
        description: input.description ?? "",
        cases,
        note: cases.length ? `created with ${plural(cases.length)}` : "created",
      },
      caller.userId ?? null,
      MAX_CASES_PER_DATASET,
    );
  } catch (error) {
    // The unique (teamId, name) decides: two creates at once would both pass a look-up first.
    if (isUniqueViolation(error)) throw nameTaken(input.name);
    throw error;
  }
  if ("refused" in created) throw refusalError(created);
  await recordAudit(caller, {
    action: "eval.dataset_created",
    target: { type: "eval_dataset", id: created.id },
    details: { name: input.name, cases: cases.length },
  });
  return getDataset(caller, created.id);
}

const nameTaken = (name: string) => new AppError("conflict", `Your team already has a dataset named "${name}"`, "name");

/** Renames a dataset or changes its description; its cases (and so its versions) stay as they are. */
export async function updateDataset(caller: Caller, id: unknown, rawInput: unknown): Promise<DatasetView> {
  requirePermission(caller, "write");
  const datasetId = datasetIdOf(id);
  const input = parseInput(updateDatasetInput, rawInput);
  try {
    if (!(await updateDatasetFields(caller.teamId, datasetId, input))) throw noDataset();
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(input.name ?? "");
    throw error;
  }
  return getDataset(caller, datasetId);
}

/** Deletes a dataset with every version, case and experiment of it: admins only. */
export async function deleteDataset(caller: Caller, id: unknown): Promise<{ deleted: string }> {
  requirePermission(caller, "delete");
  const datasetId = datasetIdOf(id);
  const name = await deleteTeamDataset(caller.teamId, datasetId);
  if (name === undefined) throw noDataset();
  await recordAudit(caller, { action: "eval.dataset_deleted", target: { type: "eval_dataset", id: datasetId }, details: { name } });
  return { deleted: datasetId };
}

const plural = (count: number) => `${count} case${count === 1 ? "" : "s"}`;

/** Writes the next version with `edit`; answers the dataset at that version. */
async function editCases(
  caller: Caller,
  datasetId: string,
  edit: DatasetEdit,
  note: DatasetVersionNote,
  describeIndex?: (index: number) => string,
): Promise<DatasetView> {
  const written = await insertNextDatasetVersion(caller.teamId, datasetId, edit, note, caller.userId ?? null, MAX_CASES_PER_DATASET);
  if ("refused" in written) throw refusalError(written, describeIndex);
  return getDataset(caller, datasetId, { version: written.version });
}

/** Adds a case (a new key unless one is given; a key the version has already is a 409 naming `key`). */
export async function addCase(caller: Caller, id: unknown, rawInput: unknown) {
  requirePermission(caller, "write");
  const datasetId = datasetIdOf(id);
  const input = parseInput(evalCaseInput, rawInput);
  return editCases(
    caller,
    datasetId,
    { kind: "add", cases: [caseFields(input)] },
    ([key]) => `added case ${key}`,
    () => "case",
  );
}

/** Replaces a case's prompt and expectations, keeping its key (and so its history across versions). */
export async function updateCase(caller: Caller, id: unknown, key: unknown, rawInput: unknown) {
  requirePermission(caller, "write");
  const datasetId = datasetIdOf(id);
  const caseKeyValue = keyOf(key);
  const input = parseInput(evalCaseInput, rawInput);
  if (input.key !== undefined && input.key !== caseKeyValue)
    throw new AppError("bad_request", `key must be "${caseKeyValue}" (a case keeps its key) or left out`, "key");
  return editCases(
    caller,
    datasetId,
    { kind: "update", key: caseKeyValue, prompt: input.prompt, expected: stored(input.expected) },
    `edited case ${caseKeyValue}`,
  );
}

export async function deleteCase(caller: Caller, id: unknown, key: unknown) {
  requirePermission(caller, "write");
  const datasetId = datasetIdOf(id);
  const caseKeyValue = keyOf(key);
  return editCases(caller, datasetId, { kind: "delete", key: caseKeyValue }, `deleted case ${caseKeyValue}`);
}

/** Imports a JSONL or CSV file's cases, appended or replacing the version's; all or nothing. */
export async function importCases(caller: Caller, id: unknown, rawInput: unknown) {
  requirePermission(caller, "write");
  const datasetId = datasetIdOf(id);
  const { mode, cases } = parseImport(rawInput);
  const fields = cases.map((item) => caseFields(item));
  const note = mode === "replace" ? `replaced the cases with ${plural(cases.length)} from an import` : `imported ${plural(cases.length)}`;
  // A taken key is reported by the line of the file its case was read from.
  return editCases(
    caller,
    datasetId,
    { kind: mode === "replace" ? "replace" : "add", cases: fields },
    note,
    (index) => `line ${cases[index]!.line}`,
  );
}

/**
 * Adds a finished task as a case: its prompt, its result as the `reference`, the task as its
 * source, plus any expectations given. The task must be the caller's team's and completed with a
 * result.
 */
export async function addCaseFromTask(caller: Caller, id: unknown, rawInput: unknown) {
  requirePermission(caller, "write");
  const datasetId = datasetIdOf(id);
  const input = parseInput(caseFromTaskInput, rawInput);
  const task = await findTaskForCase(caller.teamId, input.taskId);
  if (!task) throw new AppError("not_found", "No such task in your team", "taskId");
  if (!(finishedTaskStatuses as readonly string[]).includes(task.status))
    throw new AppError("conflict", `The task is ${task.status}: add it once it has finished`, "taskId");
  const reference = resultText(task.output);
  if (!reference)
    throw new AppError(
      "bad_request",
      `The task ${task.status === "completed" ? "has no result" : `${task.status} without a result`}`,
      "taskId",
    );
  const expected = parseInput(evalCaseInput.shape.expected, {
    ...input.expected,
    reference: input.expected?.reference ?? reference.slice(0, 20_000),
  });
  const prompt = parseInput(evalCaseInput, { prompt: task.prompt }).prompt;
  return editCases(
    caller,
    datasetId,
    { kind: "add", cases: [{ prompt, expected: stored(expected), sourceTaskId: input.taskId }] },
    ([key]) => `added case ${key} from task ${input.taskId}`,
  );
}

/** A task's result text as the task view shows it (`result.markdown`). */
function resultText(output: unknown): string | undefined {
  if (output && typeof output === "object" && "markdown" in output && typeof output.markdown === "string" && output.markdown.trim())
    return output.markdown.trim();
  return undefined;
}
