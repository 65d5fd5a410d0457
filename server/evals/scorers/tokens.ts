import { describeAgainstLimit, scoreAgainstLimit } from "./limit-falloff";
import type { Scorer } from "./scorer";

/** The task's tokens (input and output, all its model calls) against the case's maxTokens. */
export const scoreTokens: Scorer = async ({ expected, outcome }) => {
  const limit = expected.maxTokens;
  if (limit === undefined) return null;
  const score = scoreAgainstLimit(outcome.tokens, limit);
  return {
    scorer: "tokens",
    score,
    explanation: describeAgainstLimit("tokens used", outcome.tokens.toLocaleString("en-US"), limit.toLocaleString("en-US"), score),
    details: { tokens: outcome.tokens, maxTokens: limit },
  };
};
