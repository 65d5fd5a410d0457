import { getDb, getPool } from "@/server/db/client";
import type { Caller } from "@/server/auth/caller";
import { getExperiment } from "@/server/evals/experiments";
import type { EvalExpectations, ExperimentView } from "@/server/evals/eval-schemas";

/** What experiment tests share: a dataset written as rows (one version), and waiting for an experiment to end. */

export async function seedDataset(
  teamId: string,
  name: string,
  cases: Array<{ key: string; prompt: string; expected?: EvalExpectations }>,
) {
  const db = getDb();
  const dataset = await db.evalDataset.create({ data: { teamId, name } });
  const version = await db.evalDatasetVersion.create({ data: { teamId, datasetId: dataset.id, version: 1, caseCount: cases.length } });
  await db.evalCase.createMany({
    data: cases.map((item, position) => ({
      teamId,
      versionId: version.id,
      key: item.key,
      position,
      prompt: item.prompt,
      expected: JSON.parse(JSON.stringify(item.expected ?? {})) as object,
    })),
  });
  return { datasetId: dataset.id, versionId: version.id };
}

export const ENDED = ["completed", "budget_exceeded", "failed", "cancelled"];

/** Polls the experiment until `done` says so (by default: it ended); fails after `timeoutMs`. */
export async function waitForExperiment(
  caller: Caller,
  id: string,
  done: (experiment: ExperimentView) => boolean = (experiment) => ENDED.includes(experiment.status),
  timeoutMs = 180_000,
): Promise<ExperimentView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const experiment = await getExperiment(caller, id);
    if (done(experiment)) return experiment;
    if (Date.now() > deadline) throw new Error(`experiment ${id} still ${experiment.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** How many tasks of the team were created for each case prompt (a case's task made twice shows as 2). */
/**
 * How many tasks each prompt has. `ran`: only tasks that were scheduled — a round that met a
 * stopping executor leaves the task it could not schedule (failed, "could not schedule") and
 * starts the case again later with a new task.
 */
export async function tasksPerPrompt(teamId: string, { ran = false }: { ran?: boolean } = {}): Promise<Record<string, number>> {
  const { rows } = await getPool().query<{ prompt: string; count: number }>(
    `SELECT prompt, count(*)::int AS count FROM "Task"
     WHERE "teamId" = $1 AND NOT ($2 AND status = 'failed' AND error LIKE 'Chorus could not schedule%')
     GROUP BY prompt`,
    [teamId, ran],
  );
  return Object.fromEntries(rows.map((row) => [row.prompt, row.count]));
}

/** The executor rows an experiment's run wrote: its run, its steps and its waits. */
export async function durableRowsOf(experimentId: string): Promise<{ runs: number; steps: number; waits: number }> {
  const { rows } = await getPool().query<{ runs: number; steps: number; waits: number }>(
    `SELECT count(*)::int AS runs,
       (SELECT count(*)::int FROM "WorkflowStep" s WHERE s."runId" = ANY(array_agg(r.id))) AS steps,
       (SELECT count(*)::int FROM "WorkflowWait" w WHERE w."runId" = ANY(array_agg(r.id))) AS waits
     FROM "WorkflowRun" r WHERE r.event->>'id' = $1`,
    [`eval-experiment-${experimentId}`],
  );
  return rows[0]!;
}
