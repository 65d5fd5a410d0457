-- Experiments' budgets (server/evals/experiment-budget.ts, docs/evals.md#budget): the least a case
-- needs to get started, learned when a case's allowance could not fund even its first model call
-- (the case goes back to pending and later cases start with at least twice that). Additive: older
-- code ignores the column.

-- AlterTable
ALTER TABLE "EvalExperiment" ADD COLUMN "caseFloorUsd" DECIMAL(20,10) NOT NULL DEFAULT 0;
