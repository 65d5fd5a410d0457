import {
  DEFAULT_PASS_SCORE,
  type EvalExpectations,
  type EvalRunConfig,
  type ScorerName,
  type ScorerResult,
} from "@/server/evals/eval-schemas";
import { scoreCitations } from "./scorers/citations";
import { scoreContains } from "./scorers/contains";
import { scoreCost } from "./scorers/cost";
import { scoreJsonSchema } from "./scorers/json-schema";
import { scoreJudge } from "./scorers/judge";
import { scoreLatency } from "./scorers/latency";
import { scoreRegex } from "./scorers/regex";
import type { CaseOutcome, Scorer, ScorerContext } from "./scorers/scorer";
import { scoreSimilarity } from "./scorers/similarity";
import { scoreTokens } from "./scorers/tokens";

/**
 * One case's score (issue #24, docs/evals.md#scorers): every scorer whose expectation the case
 * sets runs (one file each in server/evals/scorers/), weighted by the experiment's `scorers`
 * weights (0 turns one off, unlisted ones weigh 1), and the case's score is the weighted mean of
 * those that ran. A case whose task did not complete scores 0 and fails, and no scorer runs on
 * what it left (the judge would be paid to read a half-written answer). A completed task whose
 * case expects nothing scores 1. The case passes when its task completed and its score reaches
 * `passScore`. Scorers never throw here: a judge or embedding call that fails is a scored answer.
 */
export type { CaseOutcome } from "./scorers/scorer";

const SCORERS: Record<ScorerName, Scorer> = {
  contains: scoreContains,
  regex: scoreRegex,
  json_schema: scoreJsonSchema,
  citations: scoreCitations,
  cost: scoreCost,
  tokens: scoreTokens,
  latency: scoreLatency,
  judge: scoreJudge,
  similarity: scoreSimilarity,
};

export interface CaseScore {
  scores: ScorerResult[];
  score: number;
  passed: boolean;
  /** One line on how the score came about: "no expectations…", "the task did not complete…", the weighted mean against passScore. */
  explanation: string;
}

export async function scoreCase(args: {
  teamId: string;
  prompt: string;
  expected: EvalExpectations;
  outcome: CaseOutcome;
  config: Pick<EvalRunConfig, "scorers" | "passScore" | "judge">;
  /** What the judge's call may cost at most (an experiment with a budget); absent: no limit. */
  judgeBudgetUsd?: number;
  signal?: AbortSignal;
}): Promise<CaseScore> {
  if (args.outcome.status !== "completed") {
    return {
      scores: [],
      score: 0,
      passed: false,
      explanation: `the task did not complete (${args.outcome.status}): the case scores 0 and fails`,
    };
  }
  const context: ScorerContext = {
    teamId: args.teamId,
    prompt: args.prompt,
    expected: args.expected,
    outcome: args.outcome,
    judge: args.config.judge,
    ...(args.judgeBudgetUsd === undefined ? {} : { judgeBudgetUsd: args.judgeBudgetUsd }),
    signal: args.signal,
  };
  const weighted = (Object.keys(SCORERS) as ScorerName[])
    .map((name) => ({ name, weight: args.config.scorers?.[name] ?? 1 }))
    .filter(({ weight }) => weight > 0);
  // The model-backed scorers (judge, similarity) wait on the network: run them all at once.
  const verdicts = await Promise.all(weighted.map(async ({ name, weight }) => ({ weight, verdict: await runScorer(name, context) })));
  const scores: ScorerResult[] = verdicts.flatMap(({ weight, verdict }) => (verdict ? [{ ...verdict, weight }] : []));
  const score = combinedScore(scores);
  const passScore = args.config.passScore ?? DEFAULT_PASS_SCORE;
  const passed = score >= passScore;
  const explanation =
    scores.length === 0
      ? "no expectations: the case sets none (or all its scorers weigh 0), so its completed task scores 1"
      : `weighted mean of ${scores.length} scorer${scores.length === 1 ? "" : "s"}: ${score.toFixed(3)} ${passed ? "≥" : "<"} pass score ${passScore}`;
  return { scores, score, passed, explanation };
}

/** The weighted mean of the scorers that ran; 1 when none did (the case expects nothing of a completed task). */
export function combinedScore(scores: readonly Pick<ScorerResult, "score" | "weight">[]): number {
  const totalWeight = scores.reduce((sum, result) => sum + result.weight, 0);
  if (totalWeight === 0) return 1;
  const mean = scores.reduce((sum, result) => sum + result.score * result.weight, 0) / totalWeight;
  return Math.min(1, Math.max(0, mean));
}

/** A scorer that throws (a bug, never an expected failure) scores 0 with the reason, so one case cannot stop an experiment. */
async function runScorer(name: ScorerName, context: ScorerContext) {
  try {
    return await SCORERS[name](context);
  } catch (error) {
    return {
      scorer: name,
      score: 0,
      explanation: `the ${name} scorer failed: ${error instanceof Error ? error.message.slice(0, 300) : "unknown error"}`,
      details: { error: true },
    };
  }
}
