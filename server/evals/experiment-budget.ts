import { newRowId } from "@/server/db/row-id";
import { evalExpectations, type EvalExpectations } from "./eval-schemas";

/**
 * Which pending cases an experiment's round starts, and what each may spend (docs/evals.md#budget).
 * Pure, so the budget rule is unit-tested on fixed inputs; the reservation itself is one
 * conditional UPDATE (server/db/queries/eval-experiments.ts reserveAndMarkRunning).
 */

/** Below this, what remains of a budget cannot fund a case (about one small call of a cheap model). */
export const MIN_CASE_ALLOWANCE_USD = 0.0001;

export interface PlannedStart {
  resultId: string;
  taskId: string;
  allowanceUsd: number | null;
  prompt: string;
  expected: EvalExpectations;
}

/**
 * The next cases to start and each one's allowance. With a budget, a case may spend at most its
 * own maxCostUsd, twice an even share of what remains for the cases not yet started (but no less
 * than the floor: what a case was seen to need), and what remains at all — so early cases cannot
 * starve later ones and the total is never overshot. When what remains is under the floor, no case
 * starts: a running case may yet hand its reservation back, and when none runs the budget is spent.
 */
export function planStarts(
  point: {
    budgetUsd: number | null;
    spentUsd: number;
    reservedUsd: number;
    /** The least a case needs here, learned from cases whose allowance funded nothing. */
    caseFloorUsd?: number;
    pending: number;
    next: Array<{ resultId: string; prompt: string; expected: unknown }>;
  },
  slots: number,
): { starts: PlannedStart[] } {
  const starts: PlannedStart[] = [];
  let remaining = point.budgetUsd === null ? Infinity : point.budgetUsd - point.spentUsd - point.reservedUsd;
  const floor = Math.max(MIN_CASE_ALLOWANCE_USD, point.caseFloorUsd ?? 0);
  for (const next of point.next.slice(0, slots)) {
    const expected = expectationsOf(next.expected);
    let allowanceUsd: number | null = expected.maxCostUsd ?? null;
    if (point.budgetUsd !== null) {
      const notStarted = point.pending - starts.length;
      const share = (remaining / Math.max(1, notStarted)) * 2;
      const own = allowanceUsd ?? Infinity;
      // Rounded down to the ten-billionth the columns hold, so the reservation never exceeds what remains.
      allowanceUsd = Math.floor(Math.min(own, Math.max(share, floor), remaining) * 1e10) / 1e10;
      // Under the floor (and not because the case itself asks for less): what remains cannot fund it now.
      if (allowanceUsd < Math.min(floor, own)) break;
      remaining -= allowanceUsd;
    }
    starts.push({ resultId: next.resultId, taskId: newRowId(), allowanceUsd, prompt: next.prompt, expected });
  }
  return { starts };
}

export function expectationsOf(value: unknown): EvalExpectations {
  const parsed = evalExpectations.safeParse(value ?? {});
  return parsed.success ? parsed.data : {};
}
