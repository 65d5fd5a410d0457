import { z } from "zod";
import { recordAudit } from "@/server/audit/record-audit";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { findTeamMonthBudget, updateTeamMonthlyBudget } from "@/server/db/queries/task-budgets";
import { AppError } from "@/server/errors";
import { parseInput } from "@/server/validation";

/**
 * The team's monthly model budget (docs/model-usage.md#budgets): every model call of the team's
 * tasks reserves against it, and a task whose call does not fit ends budget_exceeded. Every
 * member may see it and this month's spend; admins change it ("manage"). null: no budget.
 */

export const MAX_MONTHLY_BUDGET_USD = 10_000_000;

export const budgetSettingsInput = z.object({
  monthlyBudgetUsd: z
    .number({ error: "monthlyBudgetUsd must be a number of US dollars, or null for none" })
    .positive("monthlyBudgetUsd must be more than 0")
    .max(MAX_MONTHLY_BUDGET_USD, `monthlyBudgetUsd must be at most ${MAX_MONTHLY_BUDGET_USD}`)
    .nullable(),
});

/** What the settings answer with (and the OpenAPI document publishes). */
export const budgetSettingsView = z
  .object({
    monthlyBudgetUsd: z.number().nullable().meta({ description: "null: no budget" }),
    month: z.string().meta({ description: "The calendar month (UTC) the spend is for, YYYY-MM" }),
    spentThisMonthUsd: z.number(),
  })
  .meta({ id: "BudgetSettings" });

export async function readBudgetSettings(caller: Caller) {
  requirePermission(caller, "read");
  return present(await findTeamMonthBudget(caller.teamId));
}

export async function updateBudgetSettings(caller: Caller, rawInput: unknown) {
  requirePermission(caller, "manage");
  const input = parseInput(budgetSettingsInput, rawInput);
  const budget = await updateTeamMonthlyBudget(caller.teamId, input.monthlyBudgetUsd);
  if (budget)
    await recordAudit(caller, {
      action: "settings.budget_updated",
      target: { type: "team", id: caller.teamId },
      details: { monthlyBudgetUsd: input.monthlyBudgetUsd },
    });
  return present(budget);
}

function present(
  budget: { monthlyBudgetUsd: number | null; spentUsd: number; month: string } | undefined,
): z.output<typeof budgetSettingsView> {
  if (!budget) throw new AppError("not_found", "Team not found");
  return { monthlyBudgetUsd: budget.monthlyBudgetUsd, month: budget.month, spentThisMonthUsd: Math.round(budget.spentUsd * 1e6) / 1e6 };
}
