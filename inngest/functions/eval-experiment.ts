import { inngest } from "@/inngest/client";
import { evalExperimentCancelled, evalExperimentStarted, taskFinished } from "@/inngest/events";
import { failExperimentRun, runExperimentRound } from "@/server/evals/experiment-rounds";

/**
 * An experiment's run (docs/evals.md#experiments): rounds, one durable step each, until a round
 * ends the experiment. A round starts cases' tasks, waits in-process for some to finish, scores
 * and writes them (server/evals/experiment-rounds.ts) — so the run's durable writes are one step
 * per batch of finished cases, not one per case, and a restart resumes at the next round with
 * every finished case kept. A round that ran out of time with its tasks still running parks the
 * run on `chorus/task.finished` for the team (a wake-up hint: the next round re-reads the rows, so
 * a missed event costs at most the timeout) rather than holding an executor slot while slow tasks
 * run. Cancelling the experiment cancels the run (cancelOn); experiments of one team run one at a
 * time, each within its own concurrency.
 */
const MAX_ROUNDS = 100_000;
/** How long a parked run waits for a task end before looking again anyway. */
const PARK_TIMEOUT = "30s";

export const evalExperiment = inngest.createFunction(
  {
    id: "eval-experiment",
    name: "Eval experiment",
    triggers: [evalExperimentStarted],
    retries: 3,
    concurrency: { key: "event.data.teamId", limit: 1 },
    cancelOn: [{ event: evalExperimentCancelled, if: "event.data.experimentId == async.data.experimentId" }],
    // A round that keeps failing (past its retries) fails the experiment with why, instead of leaving it "running".
    onFailure: async ({ event, error }) => {
      const original = evalExperimentStarted.schema.parse((event.data as { event: { data: unknown } }).event.data);
      await failExperimentRun({ experimentId: original.experimentId, teamId: original.teamId }, error.message);
    },
  },
  async ({ event, step }) => {
    const ref = { experimentId: event.data.experimentId, teamId: event.data.teamId };
    for (let round = 1; round <= MAX_ROUNDS; round += 1) {
      const outcome = await step.run(`round ${round}`, () => runExperimentRound(ref));
      if (outcome.state === "ended") return { status: outcome.status, rounds: round };
      if (outcome.idle) {
        await step.waitForEvent(`wait ${round}`, {
          event: taskFinished,
          if: "async.data.teamId == event.data.teamId",
          timeout: PARK_TIMEOUT,
        });
      }
    }
    return { status: "running", rounds: MAX_ROUNDS };
  },
);
