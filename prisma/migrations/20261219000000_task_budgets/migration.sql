-- Hard budgets on a task (#20 §8). `budgetUsd` (already there, never read until now) is the
-- task's maxCostUsd; `maxTokens` caps input + output tokens. Before each model call the call's
-- worst case is reserved against what remains (budgetReserved*), and after it the reservation is
-- released and the real spend added (budgetSpent*), in conditional statements on this row so
-- parallel agents cannot overshoot together. budgetWarnedAt records the one 80% warning.
-- A task that runs out ends `budget_exceeded`.

-- AlterEnum
ALTER TYPE "TaskStatus" ADD VALUE 'budget_exceeded';

-- AlterTable
ALTER TABLE "Task" ADD COLUMN "maxTokens" INTEGER,
ADD COLUMN "budgetSpentUsd" DECIMAL(20,10) NOT NULL DEFAULT 0,
ADD COLUMN "budgetReservedUsd" DECIMAL(20,10) NOT NULL DEFAULT 0,
ADD COLUMN "budgetSpentTokens" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "budgetReservedTokens" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "budgetWarnedAt" TIMESTAMP(3);

-- A team's monthly budget (null = none), across all its tasks. The month's counters are reset
-- by the first reservation of a new (UTC) month, "YYYY-MM" in budgetMonth.
ALTER TABLE "Team" ADD COLUMN "monthlyBudgetUsd" DECIMAL(12,6),
ADD COLUMN "budgetMonth" TEXT,
ADD COLUMN "monthSpentUsd" DECIMAL(20,10) NOT NULL DEFAULT 0,
ADD COLUMN "monthReservedUsd" DECIMAL(20,10) NOT NULL DEFAULT 0,
ADD COLUMN "monthWarnedAt" TIMESTAMP(3);
