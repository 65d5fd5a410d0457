import { describeAgainstLimit, scoreAgainstLimit } from "./limit-falloff";
import type { Scorer } from "./scorer";

/** The task's wall time (created to finished) against the case's maxDurationMs. */
export const scoreLatency: Scorer = async ({ expected, outcome }) => {
  const limit = expected.maxDurationMs;
  if (limit === undefined) return null;
  const score = scoreAgainstLimit(outcome.durationMs, limit);
  return {
    scorer: "latency",
    score,
    explanation: describeAgainstLimit("duration", seconds(outcome.durationMs), seconds(limit), score),
    details: { durationMs: outcome.durationMs, maxDurationMs: limit },
  };
};

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}
