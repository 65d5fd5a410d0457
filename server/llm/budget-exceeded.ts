/**
 * The error of a model call refused (or cut off) because its task's budget is spent
 * (server/llm/budget.ts). Its own module so usage recording can tell a refused call — which
 * never reached a provider and spent nothing — from a failed one. Its message is fit to show
 * members; steps never retry it.
 */
export class BudgetExceeded extends Error {
  constructor(
    message: string,
    /** Cut off mid-answer (it spent tokens), rather than refused before it was sent. */
    readonly cutOff = false,
  ) {
    super(message);
    this.name = "BudgetExceeded";
  }
}

/** A call the budget refused before it reached a provider: it spent nothing, so there is no usage to record. */
export function isRefusedByBudget(error: unknown): boolean {
  return error instanceof BudgetExceeded && !error.cutOff;
}

/** Whether an error is (or wraps) a BudgetExceeded: the AI SDK may wrap what a model throws, a replay keeps only its name. */
export function isBudgetExceeded(error: unknown): boolean {
  for (let at: unknown = error, depth = 0; at instanceof Error && depth < 4; depth++) {
    if (at instanceof BudgetExceeded || at.name === "BudgetExceeded") return true;
    at = (at as { lastError?: unknown }).lastError ?? at.cause;
  }
  return false;
}
