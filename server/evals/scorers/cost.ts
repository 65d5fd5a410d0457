import { describeAgainstLimit, scoreAgainstLimit } from "./limit-falloff";
import type { Scorer } from "./scorer";

/** The task's cost against the case's maxCostUsd (server/evals/scorers/limit-falloff.ts). */
export const scoreCost: Scorer = async ({ expected, outcome }) => {
  const limit = expected.maxCostUsd;
  if (limit === undefined) return null;
  const score = scoreAgainstLimit(outcome.costUsd, limit);
  return {
    scorer: "cost",
    score,
    explanation: describeAgainstLimit("cost", usd(outcome.costUsd), usd(limit), score),
    details: { costUsd: outcome.costUsd, maxCostUsd: limit },
  };
};

function usd(value: number): string {
  return `$${value < 0.01 && value > 0 ? value.toPrecision(2) : value.toFixed(value < 1 ? 4 : 2)}`;
}
