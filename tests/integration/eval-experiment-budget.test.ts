import { afterAll, describe, expect, it } from "vitest";
import { getDb } from "@/server/db/client";
import { startExperiment } from "@/server/evals/experiments";
import { BUDGET_SPENT } from "@/server/evals/experiment-rounds";
import { createTeamWithMembers, useEmbeddedExecutor } from "../support/fixtures";
import { useOpenAiWireServer } from "../support/openai-wire-server";
import { seedDataset, waitForExperiment } from "../support/eval-fixtures";

/**
 * An experiment's budget is never overshot (docs/evals.md#budget): each case's task runs with its
 * allowance as its hard budget, the allowances are reserved on the experiment, and when what
 * remains cannot fund another case the pending ones are skipped and the experiment ends
 * budget_exceeded. Calls cost money through the real OpenAI provider against a local Chat
 * Completions server, priced with CHORUS_MODEL_PRICES.
 */
process.env.CHORUS_MODEL = "wire-test-model";
// $1 per million tokens. The server reports usage within what a call was granted (as a real provider does).
process.env.CHORUS_MODEL_PRICES = JSON.stringify({ "wire-test-model": { input: 1, output: 1 } });
useOpenAiWireServer({ planUsage: { prompt: 60, completion: 12 } });
useEmbeddedExecutor(8);
afterAll(() => {
  delete process.env.CHORUS_MODEL;
  delete process.env.CHORUS_MODEL_PRICES;
});

const cases = (count: number, tag: string) =>
  Array.from({ length: count }, (_, index) => ({
    key: `${tag}-${index}`,
    prompt: `Research ${tag} topic number ${index}, then summarise it.`,
  }));

describe("an experiment's budget", () => {
  it("stops starting cases when it is spent: pending cases skipped, nothing over budget, no task over its allowance", async () => {
    const { team, callers } = await createTeamWithMembers();
    // What one case costs with no budget in the way.
    const reference = await seedDataset(team.id, "reference", cases(1, "reference"));
    const measured = await waitForExperiment(callers.user, (await startExperiment(callers.user, { datasetId: reference.datasetId })).id);
    expect(measured.status).toBe("completed");
    expect(measured.aggregate.costUsd).toBeGreaterThan(0);

    // About five cases' worth for ten: a case's share (twice an even one) is under what its first model call reserves,
    // so the floor rises until cases can start, and each then stops at its allowance; the budget runs out before the tenth.
    const budgetUsd = 0.0012;
    const { datasetId } = await seedDataset(team.id, "budgeted", cases(10, "budgeted"));
    const started = await startExperiment(callers.user, { datasetId, budgetUsd, config: { concurrency: 2 } });
    expect(started.budgetUsd).toBe(budgetUsd);
    const done = await waitForExperiment(callers.user, started.id);

    expect(done.status).toBe("budget_exceeded");
    expect(done.spentUsd).toBeGreaterThan(0);
    expect(done.spentUsd).toBeLessThanOrEqual(budgetUsd);
    const skipped = done.results.filter((result) => result.status === "skipped");
    expect(skipped.length).toBeGreaterThan(0);
    for (const result of skipped) expect(result).toMatchObject({ error: BUDGET_SPENT, taskId: null });
    expect(done.results.some((result) => result.status === "pending" || result.status === "running")).toBe(false);

    // Every case that ran kept within its allowance, and the experiment's spend is theirs added up.
    const rows = await getDb().evalResult.findMany({ where: { experimentId: started.id, taskId: { not: null } } });
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.allowanceUsd, row.caseKey).not.toBeNull();
      expect(Number(row.costUsd), row.caseKey).toBeLessThanOrEqual(Number(row.allowanceUsd));
      const task = await getDb().task.findUniqueOrThrow({ where: { id: row.taskId! } });
      expect(Number(task.budgetUsd), row.caseKey).toBeCloseTo(Number(row.allowanceUsd), 6);
      expect(Number(task.budgetSpentUsd), row.caseKey).toBeLessThanOrEqual(Number(task.budgetUsd));
    }
    const total = rows.reduce((sum, row) => sum + Number(row.costUsd), 0);
    expect(done.spentUsd).toBeCloseTo(total, 8);
    const experiment = await getDb().evalExperiment.findUniqueOrThrow({ where: { id: started.id } });
    expect(Number(experiment.reservedUsd)).toBe(0);
  });

  it("pays for judging from the budget too: a judgement whose worst case it cannot cover is not made", async () => {
    const { team, callers } = await createTeamWithMembers();
    // The judge (the team's default: the priced wire model) could cost up to a few thousand tokens' worth a case
    // (its whole prompt counted as one token a byte, 1,000 output tokens, a retry): more than this budget holds
    // once the cases' tasks have run, so no judgement may be made — and the budget is still never passed.
    const budgetUsd = 0.003;
    const rubricCases = cases(3, "judged").map((item) => ({ ...item, expected: { rubric: "Names the topic. Summarises it." } }));
    const { datasetId } = await seedDataset(team.id, "judged", rubricCases);
    const done = await waitForExperiment(
      callers.user,
      (await startExperiment(callers.user, { datasetId, budgetUsd, config: { concurrency: 1 } })).id,
    );

    expect(done.spentUsd).toBeLessThanOrEqual(budgetUsd);
    const judged = done.results.filter((result) => result.status === "passed" || result.status === "failed");
    expect(judged.length).toBeGreaterThan(0);
    for (const result of judged) {
      const judge = result.scores.find((score) => score.scorer === "judge");
      expect(judge, `${result.caseKey}: ${judge?.explanation}`).toMatchObject({ score: 0, details: { notJudged: true } });
      expect(judge!.explanation).toMatch(
        /^Not judged: the experiment's budget has \$[\d.]+ left for judging and this judgement could cost up to \$[\d.]+\.$/,
      );
    }
    // No judge call went out.
    expect(await getDb().modelCall.count({ where: { teamId: team.id, agentKind: "eval-judge" } })).toBe(0);
  });
});
