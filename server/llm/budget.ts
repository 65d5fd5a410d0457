import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3Usage,
} from "@ai-sdk/provider";
import { DelegatingLanguageModel } from "@/server/llm/delegating-model";
import {
  findTaskBudget,
  reserveTaskBudget,
  settleBudgets,
  type BudgetLimits,
  type TeamMonthBudget,
} from "@/server/db/queries/task-budgets";
import type { ModelPrice } from "@/server/llm/pricing";
import { CHARACTERS_PER_TOKEN, estimateTokens, promptCharacters } from "@/server/llm/usage";
import { logger } from "@/server/observability/logger";
import { BudgetExceeded } from "@/server/llm/budget-exceeded";
import { trackPendingWrite } from "@/server/llm/pending-writes";

export { BudgetExceeded, isBudgetExceeded } from "@/server/llm/budget-exceeded";

/**
 * Hard budgets on a task's model calls (#20 §8, docs/model-usage.md#budgets). Before each call
 * its worst case is reserved against what remains of the task's budget, atomically in Postgres
 * (server/db/queries/task-budgets.ts): the prompt's tokens (4 characters a token) and its
 * `maxOutputTokens` (DEFAULT_MAX_OUTPUT_TOKENS when the caller set none) at the model's price.
 * When less remains, the call is granted only the output that fits — its `maxOutputTokens` is
 * lowered to that, and a stream that still runs past it is cut off — and a call that cannot get
 * even MIN_OUTPUT_TOKENS fails with BudgetExceeded, which steps never retry. After the call the
 * reservation is released and the real spend added (the provider's usage, else the estimate).
 *
 * The team's monthly budget, when it has one, is reserved against in the same statement
 * (the team's row, then the task's): a call must fit both.
 *
 * Price: the most expensive model the call may reach (its fallbacks included). An unknown price
 * counts tokens only: a model nobody can price is refused when the team has a monthly budget, or
 * the task has a cost budget and no token budget, since its spend could not be bounded.
 */

export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;
/** Fewer output tokens than this are not worth a call: the task is out of budget. */
export const MIN_OUTPUT_TOKENS = 16;

export interface TaskBudget {
  teamId: string;
  taskId: string;
  maxCostUsd: number | null;
  maxTokens: number | null;
  /** The team's monthly budget in USD; null: none. */
  monthlyBudgetUsd?: number | null;
  /** The price the call is reserved and settled at; undefined when unknown. */
  price: ModelPrice | undefined;
  /** Heard once, when settled spend first reaches 80% of the task's limit, and once a month for the team's. */
  onWarning?: (warning: BudgetWarning) => void;
}

export type BudgetWarning = ({ scope: "task" } & BudgetLimits) | ({ scope: "team" } & TeamMonthBudget);

export function hasBudget(budget: { maxCostUsd: number | null; maxTokens: number | null; monthlyBudgetUsd?: number | null }): boolean {
  return budget.maxCostUsd !== null || budget.maxTokens !== null || (budget.monthlyBudgetUsd ?? null) !== null;
}

export function withBudget(model: LanguageModelV3, budget: TaskBudget): LanguageModelV3 {
  return new BudgetedLanguageModel(model, budget);
}

/** Where call options carry a reservation made ahead of the call (prepareBudgetedCall). */
const PREPARED = Symbol("chorus.budget.prepared");
type PreparedOptions = LanguageModelV3CallOptions & { [PREPARED]?: Promise<Reservation> };

/**
 * Starts the reservation for a call `model` may be about to make, when it is a budgeted model:
 * the response cache does this while it reads its shared store, so a miss waits for one round
 * trip instead of two. Call the model with `options` to use the reservation; `abandon()` (on a
 * cache hit) releases it, off the caller's path. A refused reservation surfaces only if the call
 * is made. Undefined when `model` has no budget.
 */
export function prepareBudgetedCall(
  model: LanguageModelV3,
  options: LanguageModelV3CallOptions,
): { options: LanguageModelV3CallOptions; abandon(): void } | undefined {
  if (!(model instanceof BudgetedLanguageModel)) return undefined;
  const reservation = model.reserveAhead(options);
  return {
    options: { ...options, [PREPARED]: reservation } as PreparedOptions,
    abandon: () => void reservation.then((held) => model.release(held)).catch(() => undefined),
  };
}

interface Reservation {
  inputTokens: number;
  outputTokens: number;
  /** The output the caller asked for, before the budget lowered it. */
  askedOutputTokens: number;
  costUsd: number;
}

class BudgetedLanguageModel extends DelegatingLanguageModel {
  /**
   * The last call's settlement, when it is still being written: it runs after the answer has
   * reached the caller (pending-writes.ts), and this model's next call waits for it before
   * reserving, so an agent's calls in turn never see a finished call's worst case still held.
   */
  private lastSettlement: Promise<void> | undefined;

  constructor(
    inner: LanguageModelV3,
    private readonly budget: TaskBudget,
  ) {
    super(inner);
  }

  /** A reservation made ahead of the call, not yet awaited (its refusal is awaited, and thrown, only by the call). */
  reserveAhead(options: LanguageModelV3CallOptions): Promise<Reservation> {
    const reservation = this.reserve(options);
    reservation.catch(() => undefined);
    return reservation;
  }

  /** Gives back a reservation no call used (the cache answered): nothing was spent. */
  release(reservation: Reservation): void {
    void this.settleAfter(reservation, undefined, 0, { spentNothing: true });
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const reservation = await ((options as PreparedOptions)[PREPARED] ?? this.reserve(options));
    let result: LanguageModelV3GenerateResult;
    try {
      result = await this.inner.doGenerate({ ...options, maxOutputTokens: reservation.outputTokens });
    } catch (error) {
      void this.settleAfter(reservation, undefined, 0);
      throw error;
    }
    const settled = this.settleAfter(reservation, result.usage, 0);
    if (reservation.outputTokens < reservation.askedOutputTokens && result.finishReason.unified === "length") {
      await settled;
      throw await this.exceeded(reservation, "cut off");
    }
    return result;
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const reservation = await ((options as PreparedOptions)[PREPARED] ?? this.reserve(options));
    let result: LanguageModelV3StreamResult;
    try {
      result = await this.inner.doStream({ ...options, maxOutputTokens: reservation.outputTokens });
    } catch (error) {
      void this.settleAfter(reservation, undefined, 0);
      throw error;
    }
    const reader = result.stream.getReader();
    let outputCharacters = 0;
    let usage: LanguageModelV3Usage | undefined;
    let settled: Promise<void> | undefined;
    const settle = () => (settled ??= this.settleAfter(reservation, usage, outputCharacters));
    const cutOff = async (controller: ReadableStreamDefaultController<LanguageModelV3StreamPart>) => {
      await reader.cancel().catch(() => undefined);
      await settle();
      controller.enqueue({ type: "error", error: await this.exceeded(reservation, "cut off") });
      controller.close();
    };
    // Passes each part on as it is pulled; stops the stream once its output passes what was granted.
    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      pull: async (controller) => {
        let next: ReadableStreamReadResult<LanguageModelV3StreamPart>;
        try {
          next = await reader.read();
        } catch (error) {
          void settle();
          controller.error(error);
          return;
        }
        if (next.done) {
          void settle();
          controller.close();
          return;
        }
        const part = next.value;
        if (part.type === "text-delta" || part.type === "reasoning-delta" || part.type === "tool-input-delta") {
          // The output up to the granted tokens goes on; the rest of this piece, and the stream, do not.
          const room = reservation.outputTokens * CHARACTERS_PER_TOKEN - outputCharacters;
          if (part.delta.length > room) {
            if (room > 0) controller.enqueue({ ...part, delta: part.delta.slice(0, room) });
            outputCharacters += Math.max(0, room);
            return cutOff(controller);
          }
          outputCharacters += part.delta.length;
        } else if (part.type === "finish") {
          usage = part.usage;
          // A provider that stopped at the lowered limit: the budget, not the answer, ended it.
          if (reservation.outputTokens < reservation.askedOutputTokens && part.finishReason.unified === "length") return cutOff(controller);
        }
        controller.enqueue(part);
      },
      cancel: async (reason) => {
        await reader.cancel(reason);
        void settle();
      },
    });
    return { ...result, stream };
  }

  private async reserve(options: LanguageModelV3CallOptions): Promise<Reservation> {
    await this.lastSettlement;
    const { price, maxCostUsd, maxTokens } = this.budget;
    const monthlyBudgetUsd = this.budget.monthlyBudgetUsd ?? null;
    const inputTokens = estimateTokens(promptCharacters(options.prompt));
    const askedOutputTokens = options.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
    const unpriced = { inputTokens, outputTokens: askedOutputTokens, askedOutputTokens, costUsd: 0 };
    if (!price && monthlyBudgetUsd !== null) {
      throw new BudgetExceeded(
        `The team has a monthly budget of ${usd(monthlyBudgetUsd)}, and the price of model ${this.modelId} is unknown: its spend cannot be counted (price it in CHORUS_MODEL_PRICES)`,
      );
    }
    if (!price && maxCostUsd !== null && maxTokens === null) {
      throw new BudgetExceeded(
        `The task has a cost budget of ${usd(maxCostUsd)}, and the price of model ${this.modelId} is unknown: its spend cannot be bounded (set CHORUS_MODEL_PRICES, or give the task maxTokens)`,
      );
    }
    const inputPrice = price ? price.inputPerMillion / 1_000_000 : null;
    const outputPrice = price ? price.outputPerMillion / 1_000_000 : null;
    const granted = await reserveTaskBudget({
      teamId: this.budget.teamId,
      taskId: this.budget.taskId,
      inputTokens,
      outputTokens: askedOutputTokens,
      inputPricePerToken: inputPrice,
      outputPricePerToken: outputPrice,
      minOutputTokens: MIN_OUTPUT_TOKENS,
    });
    if ("refusedBy" in granted) {
      if (granted.refusedBy === "team" && granted.team) throw new BudgetExceeded(teamMessage(granted.team, this.neededUsd(unpriced)));
      throw await this.exceeded(unpriced, "refused");
    }
    return {
      inputTokens,
      outputTokens: granted.outputTokens,
      askedOutputTokens,
      costUsd: inputTokens * (inputPrice ?? 0) + granted.outputTokens * (outputPrice ?? 0),
    };
  }

  /** Settles off the caller's path: tracked until written, and awaited by this model's next reservation. */
  private settleAfter(
    reservation: Reservation,
    usage: LanguageModelV3Usage | undefined,
    outputCharacters: number,
    how: { spentNothing?: boolean } = {},
  ): Promise<void> {
    const settlement = this.settle(reservation, usage, outputCharacters, how);
    this.lastSettlement = settlement;
    trackPendingWrite(settlement);
    return settlement;
  }

  /** Releases the reservation and adds the real spend: the provider's usage, else an estimate from what streamed. */
  private async settle(
    reservation: Reservation,
    usage: LanguageModelV3Usage | undefined,
    outputCharacters: number,
    how: { spentNothing?: boolean } = {},
  ) {
    const inputTokens = how.spentNothing ? 0 : (usage?.inputTokens.total ?? reservation.inputTokens);
    const outputTokens = how.spentNothing ? 0 : (usage?.outputTokens.total ?? estimateTokens(outputCharacters));
    const price = this.budget.price;
    const spentUsd = price ? (inputTokens * price.inputPerMillion + outputTokens * price.outputPerMillion) / 1_000_000 : 0;
    try {
      const settled = await settleBudgets({
        teamId: this.budget.teamId,
        taskId: this.budget.taskId,
        reservedTokens: reservation.inputTokens + reservation.outputTokens,
        reservedUsd: reservation.costUsd,
        spentTokens: inputTokens + outputTokens,
        spentUsd,
      });
      if (settled.task?.warned) {
        logger.warn("a task reached 80% of its budget", { teamId: this.budget.teamId, taskId: this.budget.taskId, ...settled.task.limits });
        this.budget.onWarning?.({ scope: "task", ...settled.task.limits });
      }
      if (settled.team?.warned) {
        logger.warn("a team reached 80% of its monthly budget", {
          teamId: this.budget.teamId,
          taskId: this.budget.taskId,
          ...settled.team.month,
        });
        this.budget.onWarning?.({ scope: "team", ...settled.team.month });
      }
    } catch (error) {
      // The reservation stays held (the task can only under-spend); the call's own outcome stands.
      logger.warn("a model call's budget could not be settled", { taskId: this.budget.taskId, error });
    }
  }

  /** The call's worst case in USD (0 when unpriced). */
  private neededUsd(reservation: { inputTokens: number; askedOutputTokens: number }): number {
    const price = this.budget.price;
    return price ? (reservation.inputTokens * price.inputPerMillion + reservation.askedOutputTokens * price.outputPerMillion) / 1e6 : 0;
  }

  /** The error for a refused or cut-off call, saying what the budget is, what is used, and what the call needed. */
  private async exceeded(reservation: Omit<Reservation, "outputTokens"> & { outputTokens: number }, how: "refused" | "cut off") {
    const limits = await findTaskBudget(this.budget.teamId, this.budget.taskId).catch(() => undefined);
    const price = this.budget.price;
    const neededTokens = reservation.inputTokens + reservation.askedOutputTokens;
    const neededUsd = price
      ? (reservation.inputTokens * price.inputPerMillion + reservation.askedOutputTokens * price.outputPerMillion) / 1e6
      : 0;
    return new BudgetExceeded(budgetMessage(limits, { neededTokens, neededUsd, priced: price !== undefined }, how), how === "cut off");
  }
}

/** "The task's budget of $0.50 is spent: $0.49 used, the next call needs up to $0.03" (or the same in tokens). */
export function budgetMessage(
  limits: BudgetLimits | undefined,
  needed: { neededTokens: number; neededUsd: number; priced: boolean },
  how: "refused" | "cut off",
): string {
  const costBound = limits?.maxCostUsd !== null && limits?.maxCostUsd !== undefined && needed.priced;
  const byCost = costBound && (limits.maxTokens === null || costShare(limits) >= tokenShare(limits));
  const spent = byCost
    ? `The task's budget of ${usd(limits!.maxCostUsd!)} is spent: ${usd(limits!.spentUsd + limits!.reservedUsd)} used`
    : `The task's budget of ${tokens(limits?.maxTokens ?? 0)} is spent: ${tokens((limits?.spentTokens ?? 0) + (limits?.reservedTokens ?? 0))} used`;
  if (how === "cut off") return `${spent}; a model call was cut off at the limit`;
  return `${spent}, the next call needs up to ${byCost ? usd(needed.neededUsd) : tokens(needed.neededTokens)}`;
}

/** "The team's monthly budget of $10.00 is spent: $9.99 used this month, the next call needs up to $0.03". */
export function teamMessage(month: TeamMonthBudget, neededUsd: number): string {
  return `The team's monthly budget of ${usd(month.monthlyBudgetUsd)} is spent: ${usd(month.spentUsd + month.reservedUsd)} used this month, the next call needs up to ${usd(neededUsd)}`;
}

function costShare(limits: BudgetLimits) {
  return limits.maxCostUsd ? (limits.spentUsd + limits.reservedUsd) / limits.maxCostUsd : 0;
}

function tokenShare(limits: BudgetLimits) {
  return limits.maxTokens ? (limits.spentTokens + limits.reservedTokens) / limits.maxTokens : 0;
}

function usd(amount: number): string {
  return `$${amount.toFixed(amount >= 0.01 || amount === 0 ? 2 : 4)}`;
}

function tokens(count: number): string {
  return `${count.toLocaleString("en-US")} tokens`;
}
