import { getDb, query } from "@/server/db/client";
import type { Prisma } from "@/server/db/generated/client";
import type { Role } from "@/server/db/types";
import { utcIsoSql } from "@/server/db/stored-time";

/**
 * Experiments (`EvalExperiment`) and their per-case results (`EvalResult`), with what an
 * experiment reads of its dataset version's cases (`EvalCase`) and of the tasks it started.
 * Every query takes the team and filters by it. The statements a run's rounds make
 * (server/evals/experiment-rounds.ts) are plain SQL, each one round trip for a whole batch of
 * cases: one read of every running case with its task, one UPDATE … FROM unnest(…) settling
 * them, one statement reserving budget and marking a batch running.
 */

// ── Starting an experiment ──────────────────────────────────────────────────────────────────

export interface ExperimentDatasetChoice {
  dataset: { id: string; name: string; latestVersion: number };
  /** The version asked for (the latest when none was), or null when the dataset has no such version. */
  version: { id: string; version: number } | null;
}

export async function findDatasetVersionForExperiment(
  teamId: string,
  datasetId: string,
  version: number | undefined,
): Promise<ExperimentDatasetChoice | undefined> {
  const dataset = await getDb().evalDataset.findFirst({
    where: { id: datasetId, teamId },
    select: { id: true, name: true, latestVersion: true },
  });
  if (!dataset) return undefined;
  const row = await getDb().evalDatasetVersion.findFirst({
    where: { teamId, datasetId, version: version ?? dataset.latestVersion },
    select: { id: true, version: true },
  });
  return { dataset, version: row };
}

export async function listVersionCaseIds(teamId: string, versionId: string) {
  return getDb().evalCase.findMany({
    where: { teamId, versionId },
    select: { id: true, key: true },
    orderBy: [{ position: "asc" }, { id: "asc" }],
  });
}

/** The experiment (queued) and one pending result per case, in one transaction. */
export async function insertExperimentWithResults(experiment: {
  teamId: string;
  name: string;
  datasetId: string;
  datasetVersionId: string;
  config: Prisma.InputJsonObject;
  budgetUsd: number | null;
  baselineId: string | null;
  createdById: string | null;
  apiKeyId: string | null;
  cases: { id: string; key: string }[];
}): Promise<string> {
  const { cases, ...fields } = experiment;
  return getDb().$transaction(async (tx) => {
    const created = await tx.evalExperiment.create({ data: { ...fields, caseCount: cases.length }, select: { id: true } });
    await tx.evalResult.createMany({
      data: cases.map((item) => ({ teamId: experiment.teamId, experimentId: created.id, caseId: item.id, caseKey: item.key })),
    });
    return created.id;
  });
}

/** Whether the team has an experiment with this id (a baseline named at start). */
export async function experimentExistsInTeam(teamId: string, id: string): Promise<boolean> {
  return (await getDb().evalExperiment.count({ where: { id, teamId } })) > 0;
}

// ── Reading ─────────────────────────────────────────────────────────────────────────────────

export interface ExperimentRow {
  id: string;
  teamId: string;
  name: string;
  datasetId: string;
  datasetName: string;
  datasetVersion: number;
  status: string;
  config: Prisma.JsonValue;
  error: string | null;
  caseCount: number;
  budgetUsd: number | null;
  spentUsd: number;
  reservedUsd: number;
  summary: Prisma.JsonValue;
  baselineId: string | null;
  createdById: string | null;
  apiKeyId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface ResultRow {
  id: string;
  caseId: string;
  caseKey: string;
  prompt: string;
  status: string;
  taskId: string | null;
  output: string | null;
  scores: Prisma.JsonValue;
  score: number | null;
  passed: boolean | null;
  costUsd: number;
  tokens: number;
  durationMs: number | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

const EXPERIMENT_COLUMNS = `x.id, x."teamId", x.name, x."datasetId", d.name AS "datasetName", v.version AS "datasetVersion", x.status::text AS status,
  x.config, x.error, x."caseCount", x."budgetUsd"::float8 AS "budgetUsd", x."spentUsd"::float8 AS "spentUsd",
  x."reservedUsd"::float8 AS "reservedUsd", x.summary, x."baselineId", x."createdById", x."apiKeyId",
  ${utcIsoSql('x."createdAt"')} AS "createdAt", ${utcIsoSql('x."startedAt"')} AS "startedAt", ${utcIsoSql('x."finishedAt"')} AS "finishedAt"
  FROM "EvalExperiment" x JOIN "EvalDataset" d ON d.id = x."datasetId" JOIN "EvalDatasetVersion" v ON v.id = x."datasetVersionId"`;

const RESULT_COLUMNS = `r.id, r."caseId", r."caseKey", c.prompt, r.status, r."taskId", r.output, r.scores, r.score, r.passed,
  r."costUsd"::float8 AS "costUsd", r.tokens, r."durationMs", r.error,
  ${utcIsoSql('r."startedAt"')} AS "startedAt", ${utcIsoSql('r."finishedAt"')} AS "finishedAt"
  FROM "EvalResult" r JOIN "EvalCase" c ON c.id = r."caseId"`;

export async function findExperiment(teamId: string, id: string): Promise<ExperimentRow | undefined> {
  const { rows } = await query<ExperimentRow>(`SELECT ${EXPERIMENT_COLUMNS} WHERE x.id = $1 AND x."teamId" = $2`, [id, teamId]);
  return rows[0];
}

/** The experiment's results in the dataset's case order. */
export async function listExperimentResults(teamId: string, experimentId: string): Promise<ResultRow[]> {
  const { rows } = await query<ResultRow>(
    `SELECT ${RESULT_COLUMNS} WHERE r."experimentId" = $1 AND r."teamId" = $2 ORDER BY c.position, c.id`,
    [experimentId, teamId],
  );
  return rows;
}

/** The team's experiments, newest first, with pass rate and mean score over the results scored so far. */
export async function listExperiments(
  teamId: string,
  filter: { datasetId?: string; limit: number },
): Promise<Array<ExperimentRow & { passRate: number | null; meanScore: number | null }>> {
  const { rows } = await query<ExperimentRow & { passRate: number | null; meanScore: number | null }>(
    `SELECT ${EXPERIMENT_COLUMNS.replace(" FROM ", `, s."passRate", s."meanScore" FROM `)}
     LEFT JOIN LATERAL (
       SELECT (count(*) FILTER (WHERE r.status = 'passed'))::float8 / NULLIF(count(*), 0) AS "passRate", avg(COALESCE(r.score, 0)) AS "meanScore"
       FROM "EvalResult" r WHERE r."experimentId" = x.id AND r.status IN ('passed', 'failed', 'error')
     ) s ON true
     WHERE x."teamId" = $1 AND ($2::text IS NULL OR x."datasetId" = $2)
     ORDER BY x."createdAt" DESC, x.id DESC LIMIT $3`,
    [teamId, filter.datasetId ?? null, filter.limit],
  );
  return rows;
}

// ── A run's rounds ──────────────────────────────────────────────────────────────────────────

/** The role of whoever started the experiment, as it is now: undefined when they are no member (or the key is revoked or expired). */
export async function findExperimentRunnerRole(
  teamId: string,
  runner: { userId: string | null; apiKeyId: string | null },
): Promise<Role | undefined> {
  if (runner.apiKeyId) {
    const key = await getDb().apiKey.findFirst({
      where: { id: runner.apiKeyId, teamId, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }] },
      select: { role: true },
    });
    return key?.role;
  }
  if (!runner.userId) return undefined;
  const membership = await getDb().membership.findFirst({ where: { teamId, userId: runner.userId }, select: { role: true } });
  return membership?.role;
}

/** Marks a queued experiment running (its first round); false when it is no longer queued or running (cancelled). */
export async function markExperimentRunning(teamId: string, id: string): Promise<boolean> {
  const { rowCount } = await query(
    `UPDATE "EvalExperiment" SET status = 'running', "startedAt" = COALESCE("startedAt", now() AT TIME ZONE 'UTC')
     WHERE id = $1 AND "teamId" = $2 AND status IN ('queued', 'running')`,
    [id, teamId],
  );
  return (rowCount ?? 0) > 0;
}

/** A running case, with its case and what its task has come to (task null: not created yet). */
export interface RunningCaseRow {
  resultId: string;
  taskId: string;
  allowanceUsd: number | null;
  prompt: string;
  expected: Prisma.JsonValue;
  task: {
    status: string;
    /** A completed task's result: its markdown and the sources it cites. */
    output: { markdown?: string; sources?: { title: string; url?: string; documentId?: string }[] } | null;
    error: string | null;
    costUsd: number;
    tokens: number;
    durationMs: number;
  } | null;
}

/**
 * Every running case of the experiment with its task's state, in one statement. A task's cost is
 * the sum of its model calls (as the task view counts it), else what is stored on it.
 */
export async function listRunningCases(teamId: string, experimentId: string): Promise<RunningCaseRow[]> {
  const { rows } = await query<RunningCaseRow>(
    `SELECT r.id AS "resultId", r."taskId", r."allowanceUsd"::float8 AS "allowanceUsd", c.prompt, c.expected,
       CASE WHEN t.id IS NULL THEN NULL ELSE json_build_object(
         'status', t.status, 'output', t.output, 'error', t.error,
         'costUsd', (SELECT CASE WHEN count(*) = 0 THEN t."costUsd" ELSE COALESCE(sum(m."costUsd"), 0) END FROM "ModelCall" m WHERE m."taskId" = t.id)::float8,
         'tokens', COALESCE((SELECT sum(m."inputTokens" + m."outputTokens")::int FROM "ModelCall" m WHERE m."taskId" = t.id), t."inputTokens" + t."outputTokens"),
         'durationMs', GREATEST(0, floor(extract(epoch FROM COALESCE(t."completedAt", now() AT TIME ZONE 'UTC') - t."createdAt") * 1000))::int
       ) END AS task
     FROM "EvalResult" r JOIN "EvalCase" c ON c.id = r."caseId" LEFT JOIN "Task" t ON t.id = r."taskId" AND t."teamId" = r."teamId"
     WHERE r."experimentId" = $1 AND r."teamId" = $2 AND r.status = 'running'
     ORDER BY c.position, c.id`,
    [experimentId, teamId],
  );
  return rows;
}

export interface SettledCase {
  resultId: string;
  status: "passed" | "failed" | "error";
  output: string | null;
  scores: unknown[];
  score: number;
  passed: boolean;
  costUsd: number;
  tokens: number;
  durationMs: number;
  error: string | null;
}

/**
 * Writes a round's finished cases and settles the experiment's budget — spent += their cost,
 * reserved −= their allowance — in one statement. Only rows still running are written, so a round
 * repeated after a crash settles nothing twice.
 */
export async function settleCases(teamId: string, experimentId: string, cases: SettledCase[]): Promise<number> {
  if (cases.length === 0) return 0;
  const { rows } = await query<{ settled: number }>(
    `WITH v AS (
       SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::jsonb[], $7::float8[], $8::bool[], $9::numeric[], $10::int[], $11::int[], $12::text[])
         AS v(id, status, output, scores, score, passed, cost, tokens, duration, error)
     ), settled AS (
       UPDATE "EvalResult" r SET status = v.status, output = v.output, scores = v.scores, score = v.score, passed = v.passed,
         "costUsd" = v.cost, tokens = v.tokens, "durationMs" = v.duration, error = v.error, "finishedAt" = now() AT TIME ZONE 'UTC'
       FROM v WHERE r.id = v.id AND r."experimentId" = $1 AND r."teamId" = $2 AND r.status = 'running'
       RETURNING r."costUsd", COALESCE(r."allowanceUsd", 0) AS allowance
     ), budget AS (
       UPDATE "EvalExperiment" SET "spentUsd" = "spentUsd" + (SELECT COALESCE(sum("costUsd"), 0) FROM settled),
         "reservedUsd" = GREATEST(0, "reservedUsd" - (SELECT COALESCE(sum(allowance), 0) FROM settled))
       WHERE id = $1 AND "teamId" = $2 AND EXISTS (SELECT 1 FROM settled)
     )
     SELECT count(*)::int AS settled FROM settled`,
    [
      experimentId,
      teamId,
      cases.map((item) => item.resultId),
      cases.map((item) => item.status),
      cases.map((item) => item.output),
      cases.map((item) => JSON.stringify(item.scores)),
      cases.map((item) => item.score),
      cases.map((item) => item.passed),
      cases.map((item) => item.costUsd.toFixed(10)),
      cases.map((item) => item.tokens),
      cases.map((item) => item.durationMs),
      cases.map((item) => item.error),
    ],
  );
  return rows[0]!.settled;
}

/** What the next cases to start need: the experiment's budget state and the first pending cases. */
export async function readStartingPoint(teamId: string, experimentId: string, limit: number) {
  const { rows } = await query<{
    status: string;
    budgetUsd: number | null;
    spentUsd: number;
    reservedUsd: number;
    caseFloorUsd: number;
    pending: number;
    running: number;
    next: Array<{ resultId: string; prompt: string; expected: Prisma.JsonValue }>;
  }>(
    `SELECT x.status::text AS status, x."budgetUsd"::float8 AS "budgetUsd", x."spentUsd"::float8 AS "spentUsd", x."reservedUsd"::float8 AS "reservedUsd",
       x."caseFloorUsd"::float8 AS "caseFloorUsd",
       (SELECT count(*)::int FROM "EvalResult" r WHERE r."experimentId" = x.id AND r.status = 'pending') AS pending,
       (SELECT count(*)::int FROM "EvalResult" r WHERE r."experimentId" = x.id AND r.status = 'running') AS running,
       (SELECT COALESCE(json_agg(n ORDER BY n.position, n."resultId"), '[]'::json) FROM (
          SELECT r.id AS "resultId", c.prompt, c.expected, c.position FROM "EvalResult" r JOIN "EvalCase" c ON c.id = r."caseId"
          WHERE r."experimentId" = x.id AND r.status = 'pending' ORDER BY c.position, r.id LIMIT $3) n) AS next
     FROM "EvalExperiment" x WHERE x.id = $1 AND x."teamId" = $2`,
    [experimentId, teamId, limit],
  );
  return rows[0];
}

/**
 * Reserves the batch's allowances on the experiment — only while it is running and, with a
 * budget, only if what remains (budget − spent − reserved) covers them all — and marks its cases
 * running with their pre-made task ids, in one statement. Returns the result ids it started
 * (none when the reservation failed).
 */
export async function reserveAndMarkRunning(
  teamId: string,
  experimentId: string,
  starts: { resultId: string; taskId: string; allowanceUsd: number | null }[],
): Promise<string[]> {
  if (starts.length === 0) return [];
  const total = starts.reduce((sum, start) => sum + (start.allowanceUsd ?? 0), 0);
  const { rows } = await query<{ id: string }>(
    // The row lock makes a concurrent reservation wait and then see this one's; only the cases
    // actually marked (still pending) are reserved for.
    `WITH funded AS (
       SELECT id FROM "EvalExperiment"
       WHERE id = $1 AND "teamId" = $2 AND status = 'running' AND ("budgetUsd" IS NULL OR "budgetUsd" - "spentUsd" - "reservedUsd" >= $3::numeric)
       FOR UPDATE
     ), marked AS (
       UPDATE "EvalResult" r SET status = 'running', "taskId" = v."taskId", "allowanceUsd" = v.allowance, "startedAt" = now() AT TIME ZONE 'UTC'
       FROM unnest($4::text[], $5::text[], $6::numeric[]) AS v(id, "taskId", allowance), funded
       WHERE r.id = v.id AND r."experimentId" = $1 AND r."teamId" = $2 AND r.status = 'pending'
       RETURNING r.id, COALESCE(v.allowance, 0) AS allowance
     ), reserved AS (
       UPDATE "EvalExperiment" SET "reservedUsd" = "reservedUsd" + (SELECT sum(allowance) FROM marked)
       WHERE id = $1 AND "teamId" = $2 AND EXISTS (SELECT 1 FROM marked)
     )
     SELECT id FROM marked`,
    [
      experimentId,
      teamId,
      total.toFixed(10),
      starts.map((start) => start.resultId),
      starts.map((start) => start.taskId),
      starts.map((start) => (start.allowanceUsd === null ? null : start.allowanceUsd.toFixed(10))),
    ],
  );
  return rows.map((row) => row.id);
}

/**
 * Puts running cases whose allowance could not fund their first model call back to pending (their
 * tasks, which spent nothing, stay in the task list), releases their reservations and raises the
 * experiment's case floor to twice the largest of those allowances, in one statement.
 */
export async function requeueStarvedCases(teamId: string, experimentId: string, starved: { resultId: string; allowanceUsd: number }[]) {
  return requeueRunningCases(teamId, experimentId, starved, { raiseFloor: true });
}

/**
 * Puts running cases back to pending and releases their reservations; with `raiseFloor`, also
 * raises the case floor to twice the largest released allowance (a starved case), in one statement.
 */
export async function requeueRunningCases(
  teamId: string,
  experimentId: string,
  starved: { resultId: string }[],
  { raiseFloor }: { raiseFloor: boolean },
) {
  if (starved.length === 0) return 0;
  const { rows } = await query<{ requeued: number }>(
    `WITH requeued AS (
       UPDATE "EvalResult" SET status = 'pending', "taskId" = NULL, "startedAt" = NULL
       WHERE id = ANY($3::text[]) AND "experimentId" = $1 AND "teamId" = $2 AND status = 'running'
       RETURNING COALESCE("allowanceUsd", 0) AS allowance
     ), floor AS (
       UPDATE "EvalExperiment" SET "reservedUsd" = GREATEST(0, "reservedUsd" - (SELECT sum(allowance) FROM requeued)),
         "caseFloorUsd" = CASE WHEN $4 THEN GREATEST("caseFloorUsd", (SELECT max(allowance) * 2 FROM requeued)) ELSE "caseFloorUsd" END
       WHERE id = $1 AND "teamId" = $2 AND EXISTS (SELECT 1 FROM requeued)
     )
     SELECT count(*)::int AS requeued FROM requeued`,
    [experimentId, teamId, starved.map((item) => item.resultId), raiseFloor],
  );
  return rows[0]!.requeued;
}

/** Of these task ids, those whose case is no longer running (the experiment was cancelled or failed meanwhile). */
export async function findTasksOfStoppedCases(teamId: string, experimentId: string, taskIds: string[]): Promise<string[]> {
  if (taskIds.length === 0) return [];
  const { rows } = await query<{ taskId: string }>(
    `SELECT t.id AS "taskId" FROM unnest($3::text[]) AS t(id)
     WHERE NOT EXISTS (SELECT 1 FROM "EvalResult" r WHERE r."experimentId" = $1 AND r."teamId" = $2 AND r."taskId" = t.id AND r.status = 'running')`,
    [experimentId, teamId, taskIds],
  );
  return rows.map((row) => row.taskId);
}

/** Marks every pending case skipped with `error` (the budget is spent, or the experiment failed). */
export async function skipPendingCases(teamId: string, experimentId: string, error: string): Promise<number> {
  const { rowCount } = await query(
    `UPDATE "EvalResult" SET status = 'skipped', error = $3, "finishedAt" = now() AT TIME ZONE 'UTC'
     WHERE "experimentId" = $1 AND "teamId" = $2 AND status = 'pending'`,
    [experimentId, teamId, error],
  );
  return rowCount ?? 0;
}

/** Whether any case was skipped because the budget was spent (the experiment then ends budget_exceeded). */
export async function anyCaseSkippedFor(teamId: string, experimentId: string, error: string): Promise<boolean> {
  return (await getDb().evalResult.count({ where: { teamId, experimentId, status: "skipped", error } })) > 0;
}

/** Ends an active experiment with its final status and summary; false when it had already ended (cancelled). */
export async function finishExperiment(
  teamId: string,
  id: string,
  end: { status: "completed" | "budget_exceeded" | "failed"; summary: object; error?: string },
): Promise<boolean> {
  const { rowCount } = await query(
    `UPDATE "EvalExperiment" SET status = $3::"EvalExperimentStatus", summary = $4::jsonb, error = COALESCE($5, error),
       "finishedAt" = now() AT TIME ZONE 'UTC', "reservedUsd" = 0
     WHERE id = $1 AND "teamId" = $2 AND status IN ('queued', 'running')`,
    [id, teamId, end.status, JSON.stringify(end.summary), end.error ?? null],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * Stops an active experiment — cancelled by a member, or failed — in one transaction: its status
 * and error, pending cases skipped, running cases skipped with what their tasks spent so far
 * (added to spent; reservations released). Returns the running cases' task ids (to cancel), or
 * undefined when the experiment was not active.
 */
export async function markExperimentStopped(
  teamId: string,
  id: string,
  stop: { status: "cancelled" | "failed"; error: string; caseError: string },
): Promise<string[] | undefined> {
  return getDb().$transaction(async (tx) => {
    const stopped = await tx.$executeRaw`
      UPDATE "EvalExperiment" SET status = ${stop.status}::"EvalExperimentStatus", error = ${stop.error}, "reservedUsd" = 0,
        "finishedAt" = now() AT TIME ZONE 'UTC'
      WHERE id = ${id} AND "teamId" = ${teamId} AND status IN ('queued', 'running')`;
    if (stopped === 0) return undefined;
    const running = await tx.$queryRaw<Array<{ taskId: string | null; costUsd: string }>>`
      UPDATE "EvalResult" r SET status = 'skipped', error = ${stop.caseError}, "finishedAt" = now() AT TIME ZONE 'UTC',
        "costUsd" = COALESCE((SELECT sum(m."costUsd") FROM "ModelCall" m WHERE m."taskId" = r."taskId"), 0)
      WHERE r."experimentId" = ${id} AND r."teamId" = ${teamId} AND r.status = 'running'
      RETURNING r."taskId", r."costUsd"::text AS "costUsd"`;
    const spent = running.reduce((sum, row) => sum + Number(row.costUsd), 0);
    await tx.$executeRaw`
      UPDATE "EvalResult" SET status = 'skipped', error = ${stop.caseError}, "finishedAt" = now() AT TIME ZONE 'UTC'
      WHERE "experimentId" = ${id} AND "teamId" = ${teamId} AND status = 'pending'`;
    if (spent > 0) {
      await tx.$executeRaw`UPDATE "EvalExperiment" SET "spentUsd" = "spentUsd" + ${spent.toFixed(10)}::numeric WHERE id = ${id} AND "teamId" = ${teamId}`;
    }
    return running.flatMap((row) => (row.taskId ? [row.taskId] : []));
  });
}

export async function storeExperimentSummary(teamId: string, id: string, summary: object): Promise<void> {
  await query(`UPDATE "EvalExperiment" SET summary = $3::jsonb WHERE id = $1 AND "teamId" = $2`, [id, teamId, JSON.stringify(summary)]);
}

/** Deletes the team's experiment and its results (a cascade); false when there was none. */
export async function deleteExperimentRow(teamId: string, id: string): Promise<boolean> {
  const { count } = await getDb().evalExperiment.deleteMany({ where: { id, teamId } });
  return count > 0;
}

/** The pinned custom-agent versions (kind → version) the team does not have. */
export async function findMissingAgentVersions(teamId: string, pins: Record<string, number>): Promise<string[]> {
  const entries = Object.entries(pins);
  if (entries.length === 0) return [];
  const found = await getDb().agentDefinitionVersion.findMany({
    where: { teamId, OR: entries.map(([kind, version]) => ({ kind, version })) },
    select: { kind: true, version: true },
  });
  return entries.filter(([kind, version]) => !found.some((row) => row.kind === kind && row.version === version)).map(([kind]) => kind);
}
