import type { EvalExpectations, EvalRunConfig, ScorerResult } from "@/server/evals/eval-schemas";

/**
 * What every scorer is given and answers: the case (prompt, expectations), what its task did,
 * and the experiment's judge model. A scorer answers null when the case sets no expectation for
 * it; its weight is the caller's (server/evals/score-case.ts), so scorers only judge.
 */

/** What a case's task produced and spent. */
export interface CaseOutcome {
  /** The task's final status: only "completed" can pass. */
  status: string;
  output: string;
  sources: { title: string; url?: string; documentId?: string }[];
  costUsd: number;
  tokens: number;
  durationMs: number;
}

export interface ScorerContext {
  teamId: string;
  prompt: string;
  expected: EvalExpectations;
  outcome: CaseOutcome;
  /** The model chain the judge asks; absent: the team's default. */
  judge?: EvalRunConfig["judge"];
  /**
   * Set when an experiment has a budget: what the judge's call may cost at most. The judge runs
   * only when its worst case (judgeWorstCaseUsd) fits, so a budget is never overshot by judging.
   */
  judgeBudgetUsd?: number;
  signal?: AbortSignal;
}

export type ScorerVerdict = Omit<ScorerResult, "weight">;

export type Scorer = (context: ScorerContext) => Promise<ScorerVerdict | null>;

/** "2 of 3" with the missing ones named, kept short: explanations are read in a table. */
export function listMissing(missing: readonly string[], limit = 5): string {
  const shown = missing.slice(0, limit).map((item) => JSON.stringify(item.length > 80 ? `${item.slice(0, 79)}…` : item));
  return `${shown.join(", ")}${missing.length > limit ? ` and ${missing.length - limit} more` : ""}`;
}
