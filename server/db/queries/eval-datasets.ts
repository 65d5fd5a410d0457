import { randomInt } from "node:crypto";
import { getDb, query } from "@/server/db/client";
import { newRowId } from "@/server/db/row-id";
import { utcIsoSql } from "@/server/db/stored-time";
import type { InputJsonObject, JsonValue } from "@/server/db/types";

/**
 * Evals' datasets (`EvalDataset`), their immutable versions (`EvalDatasetVersion`) and each
 * version's cases (`EvalCase`). Every edit writes the next version in one transaction: the
 * dataset row is locked (`FOR UPDATE`), the previous version's cases are copied in one
 * INSERT … SELECT, the change is applied to the copy, and `latestVersion` moves on — so two
 * edits at once make versions n+1 and n+2, and no edit is lost. Every query takes the team and
 * filters by it.
 */

/** A case as it is stored: `expected` is the validated expectations object. */
export interface EvalCaseFields {
  key?: string;
  prompt: string;
  expected: InputJsonObject;
  sourceTaskId?: string | null;
}

export interface EvalCaseRow {
  id: string;
  key: string;
  position: number;
  prompt: string;
  expected: JsonValue;
  sourceTaskId: string | null;
}

export interface DatasetSummaryRow {
  id: string;
  name: string;
  description: string;
  latestVersion: number;
  caseCount: number;
  createdAt: string;
  updatedAt: string;
  lastExperiment: { id: string; name: string; status: string; passRate: number | null; createdAt: string } | null;
}

export interface DatasetVersionRow {
  version: number;
  note: string;
  caseCount: number;
  createdAt: string;
  createdBy: string | null;
}

/** What an edit does to the copy of the previous version's cases. */
export type DatasetEdit =
  | { kind: "add"; cases: EvalCaseFields[] }
  | { kind: "replace"; cases: EvalCaseFields[] }
  | { kind: "update"; key: string; prompt: string; expected: InputJsonObject }
  | { kind: "delete"; key: string };

/** What a version says changed; a function when it names keys only the transaction makes. */
export type DatasetVersionNote = string | ((keys: string[]) => string);

/** Why an edit wrote nothing: the transaction was rolled back. */
export type DatasetEditRefusal =
  | { refused: "dataset_not_found" }
  | { refused: "case_not_found"; key: string }
  | { refused: "key_taken"; key: string; index: number }
  | { refused: "too_many_cases"; count: number };

class EditRefused extends Error {
  constructor(readonly refusal: DatasetEditRefusal) {
    super(refusal.refused);
  }
}

const KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** A new case's key: short enough to type in a URL or a CLI (`c-` and 6 characters). */
function newCaseKey(): string {
  let key = "c-";
  for (let index = 0; index < 6; index++) key += KEY_ALPHABET[randomInt(KEY_ALPHABET.length)];
  return key;
}

/** A dataset's summary columns; `$1` is the team. The newest experiment and its live pass rate come from a lateral join. */
const SUMMARY = `
  SELECT d.id, d.name, d.description, d."latestVersion", COALESCE(v."caseCount", 0) AS "caseCount",
    ${utcIsoSql('d."createdAt"')} AS "createdAt", ${utcIsoSql('d."updatedAt"')} AS "updatedAt",
    CASE WHEN e.id IS NULL THEN NULL ELSE json_build_object(
      'id', e.id, 'name', e.name, 'status', e.status, 'passRate', e."passRate", 'createdAt', ${utcIsoSql('e."createdAt"')}) END AS "lastExperiment"
  FROM "EvalDataset" d
  LEFT JOIN "EvalDatasetVersion" v ON v."datasetId" = d.id AND v.version = d."latestVersion"
  LEFT JOIN LATERAL (
    SELECT x.id, x.name, x.status, x."createdAt",
      (SELECT CASE WHEN count(*) = 0 THEN NULL ELSE (count(*) FILTER (WHERE r.status = 'passed'))::float / count(*) END
         FROM "EvalResult" r WHERE r."experimentId" = x.id AND r.status IN ('passed', 'failed', 'error')) AS "passRate"
    FROM "EvalExperiment" x WHERE x."datasetId" = d.id AND x."teamId" = d."teamId"
    ORDER BY x."createdAt" DESC, x.id DESC LIMIT 1
  ) e ON true
  WHERE d."teamId" = $1`;

/** The team's datasets by name (or the one named `name`). */
export async function listTeamDatasets(teamId: string, name?: string): Promise<DatasetSummaryRow[]> {
  const { rows } =
    name === undefined
      ? await query<DatasetSummaryRow>(`${SUMMARY} ORDER BY d.name`, [teamId])
      : await query<DatasetSummaryRow>(`${SUMMARY} AND d.name = $2`, [teamId, name]);
  return rows;
}

export async function findTeamDatasetSummary(teamId: string, datasetId: string): Promise<DatasetSummaryRow | undefined> {
  const { rows } = await query<DatasetSummaryRow>(`${SUMMARY} AND d.id = $2`, [teamId, datasetId]);
  return rows[0];
}

/** A version's cases in order; undefined when the team's dataset has no such version. */
export async function findDatasetVersionCases(
  teamId: string,
  datasetId: string,
  version: number,
): Promise<{ versionId: string; cases: EvalCaseRow[] } | undefined> {
  const { rows } = await query<{ id: string }>(
    `SELECT id FROM "EvalDatasetVersion" WHERE "teamId" = $1 AND "datasetId" = $2 AND version = $3`,
    [teamId, datasetId, version],
  );
  if (!rows[0]) return undefined;
  const cases = await query<EvalCaseRow>(
    `SELECT id, key, position, prompt, expected, "sourceTaskId" FROM "EvalCase"
     WHERE "teamId" = $1 AND "versionId" = $2 ORDER BY position, key`,
    [teamId, rows[0].id],
  );
  return { versionId: rows[0].id, cases: cases.rows };
}

/** The versions of the team's dataset, newest first, with who wrote each. */
export async function listDatasetVersions(teamId: string, datasetId: string): Promise<DatasetVersionRow[]> {
  const { rows } = await query<DatasetVersionRow>(
    `SELECT v.version, v.note, v."caseCount", ${utcIsoSql('v."createdAt"')} AS "createdAt", COALESCE(u.name, u.email) AS "createdBy"
     FROM "EvalDatasetVersion" v LEFT JOIN "User" u ON u.id = v."createdById"
     WHERE v."teamId" = $1 AND v."datasetId" = $2 ORDER BY v.version DESC`,
    [teamId, datasetId],
  );
  return rows;
}

/** Gives each case without a key a new one no other case of the version has. */
function withKeys(cases: EvalCaseFields[], taken: Set<string>) {
  return cases.map((fields) => {
    let key = fields.key;
    if (!key) {
      do key = newCaseKey();
      while (taken.has(key));
    }
    taken.add(key);
    return { ...fields, key };
  });
}

/** The first case whose key another case (already in the version, or earlier in the list) has. */
function firstTakenKey(cases: EvalCaseFields[], taken: Set<string>): { key: string; index: number } | undefined {
  const seen = new Set(taken);
  for (const [index, fields] of cases.entries()) {
    if (!fields.key) continue;
    if (seen.has(fields.key)) return { key: fields.key, index };
    seen.add(fields.key);
  }
  return undefined;
}

type Tx = Parameters<Parameters<ReturnType<typeof getDb>["$transaction"]>[0]>[0];

async function insertCases(
  tx: Tx,
  teamId: string,
  versionId: string,
  cases: Array<EvalCaseFields & { key: string }>,
  firstPosition: number,
) {
  if (cases.length === 0) return;
  await tx.evalCase.createMany({
    data: cases.map((fields, index) => ({
      id: newRowId(),
      teamId,
      versionId,
      key: fields.key,
      position: firstPosition + index,
      prompt: fields.prompt,
      expected: fields.expected,
      sourceTaskId: fields.sourceTaskId ?? null,
    })),
  });
}

/**
 * Creates a dataset and its version 1 (with `cases`, if any) in one transaction. A name the
 * team already uses fails with a unique violation (isUniqueViolation); a key given twice with
 * `key_taken`.
 */
export async function insertDataset(
  teamId: string,
  dataset: { name: string; description: string; cases: EvalCaseFields[]; note: string },
  createdById: string | null,
  maxCases: number,
): Promise<{ id: string } | DatasetEditRefusal> {
  const repeated = firstTakenKey(dataset.cases, new Set());
  if (repeated) return { refused: "key_taken", ...repeated };
  if (dataset.cases.length > maxCases) return { refused: "too_many_cases", count: dataset.cases.length };
  const id = newRowId();
  await getDb().$transaction(async (tx) => {
    await tx.evalDataset.create({
      data: { id, teamId, name: dataset.name, description: dataset.description, latestVersion: 1, createdById },
    });
    const versionId = newRowId();
    await tx.evalDatasetVersion.create({
      data: { id: versionId, teamId, datasetId: id, version: 1, note: dataset.note, caseCount: dataset.cases.length, createdById },
    });
    await insertCases(tx, teamId, versionId, withKeys(dataset.cases, new Set()), 0);
  });
  return { id };
}

/**
 * Writes the dataset's next version: the previous version's cases (none for `replace`) with
 * `edit` applied. Returns the new version's number and the keys of the cases the edit wrote, or
 * why nothing was written.
 */
export async function insertNextDatasetVersion(
  teamId: string,
  datasetId: string,
  edit: DatasetEdit,
  note: DatasetVersionNote,
  createdById: string | null,
  maxCases: number,
): Promise<{ version: number; keys: string[] } | DatasetEditRefusal> {
  try {
    return await getDb().$transaction(async (tx) => {
      const locked = await tx.$queryRaw<Array<{ latestVersion: number }>>`
        SELECT "latestVersion" FROM "EvalDataset" WHERE id = ${datasetId} AND "teamId" = ${teamId} FOR UPDATE`;
      if (!locked[0]) throw new EditRefused({ refused: "dataset_not_found" });
      const previous = locked[0].latestVersion;
      const version = previous + 1;
      const versionId = newRowId();
      await tx.evalDatasetVersion.create({ data: { id: versionId, teamId, datasetId, version, caseCount: 0, createdById } });
      if (edit.kind !== "replace") {
        // One statement copies every case; ids are made in SQL in cuid's form (c + 24 lower-case characters).
        await tx.$executeRaw`
          INSERT INTO "EvalCase" (id, "teamId", "versionId", key, position, prompt, expected, "sourceTaskId", "createdAt")
          SELECT 'c' || substr(md5(random()::text || clock_timestamp()::text || c.id), 1, 24), c."teamId", ${versionId}, c.key, c.position,
            c.prompt, c.expected, c."sourceTaskId", c."createdAt"
          FROM "EvalCase" c JOIN "EvalDatasetVersion" v ON v.id = c."versionId"
          WHERE v."datasetId" = ${datasetId} AND v.version = ${previous} AND c."teamId" = ${teamId}`;
      }
      const keys = await applyEdit(tx, teamId, versionId, edit);
      const counted = await tx.$queryRaw<Array<{ count: number }>>`
        SELECT count(*)::int AS count FROM "EvalCase" WHERE "versionId" = ${versionId}`;
      const count = counted[0]!.count;
      if (count > maxCases) throw new EditRefused({ refused: "too_many_cases", count });
      const text = typeof note === "string" ? note : note(keys);
      await tx.evalDatasetVersion.update({ where: { id: versionId }, data: { caseCount: count, note: text } });
      await tx.evalDataset.update({ where: { id: datasetId }, data: { latestVersion: version } });
      return { version, keys };
    });
  } catch (error) {
    if (error instanceof EditRefused) return error.refusal;
    throw error;
  }
}

async function applyEdit(tx: Tx, teamId: string, versionId: string, edit: DatasetEdit): Promise<string[]> {
  switch (edit.kind) {
    case "add":
    case "replace": {
      const existing = await tx.evalCase.findMany({ where: { versionId }, select: { key: true, position: true } });
      const taken = new Set(existing.map((row) => row.key));
      const repeated = firstTakenKey(edit.cases, taken);
      if (repeated) throw new EditRefused({ refused: "key_taken", ...repeated });
      const cases = withKeys(edit.cases, taken);
      const next = existing.reduce((max, row) => Math.max(max, row.position + 1), 0);
      await insertCases(tx, teamId, versionId, cases, next);
      return cases.map((fields) => fields.key);
    }
    case "update": {
      const updated = await tx.evalCase.updateMany({
        where: { versionId, key: edit.key },
        data: { prompt: edit.prompt, expected: edit.expected },
      });
      if (updated.count === 0) throw new EditRefused({ refused: "case_not_found", key: edit.key });
      return [edit.key];
    }
    case "delete": {
      const deleted = await tx.evalCase.deleteMany({ where: { versionId, key: edit.key } });
      if (deleted.count === 0) throw new EditRefused({ refused: "case_not_found", key: edit.key });
      return [edit.key];
    }
  }
}

/** Renames or re-describes the team's dataset (no new version: its cases are unchanged); false when it has none. Unique violation on a taken name. */
export async function updateDatasetFields(
  teamId: string,
  datasetId: string,
  fields: { name?: string; description?: string },
): Promise<boolean> {
  const updated = await getDb().evalDataset.updateMany({ where: { id: datasetId, teamId }, data: fields });
  return updated.count > 0;
}

/** Deletes the team's dataset with its versions, cases and experiments; its name, or undefined when it has none. */
export async function deleteTeamDataset(teamId: string, datasetId: string): Promise<string | undefined> {
  const { rows } = await query<{ name: string }>(`DELETE FROM "EvalDataset" WHERE id = $1 AND "teamId" = $2 RETURNING name`, [
    datasetId,
    teamId,
  ]);
  return rows[0]?.name;
}

/** What "add to dataset" takes of a task: its prompt, status and stored result. */
export async function findTaskForCase(
  teamId: string,
  taskId: string,
): Promise<{ prompt: string; status: string; output: JsonValue } | undefined> {
  const { rows } = await query<{ prompt: string; status: string; output: JsonValue }>(
    `SELECT prompt, status, output FROM "Task" WHERE id = $1 AND "teamId" = $2`,
    [taskId, teamId],
  );
  return rows[0];
}
