-- Tool calls (issue #19): every call an agent makes to a tool, recorded on its execution — which
-- tool, its input, a bounded excerpt of what it returned, how long it took and how it ended — so
-- the task page and the API can show what each agent looked at. `callId` is the model's own id
-- for the call, unique within the execution (a retried step is a new execution).
-- A call that needs a person's approval waits in 'awaiting_approval' (its execution in
-- 'awaiting_tool_approval') until a member approves, edits or denies it: `decision` says who and how.

-- Tools (by name) whose every call waits for a member's approval in this team, chosen by its admins.
-- AlterTable
ALTER TABLE "Team" ADD COLUMN "toolsNeedingApproval" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterEnum
ALTER TYPE "ExecutionStatus" ADD VALUE 'awaiting_tool_approval';

-- CreateTable
CREATE TABLE "ToolCall" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "executionId" TEXT NOT NULL,
    "stepKey" TEXT NOT NULL,
    "callId" TEXT NOT NULL,
    "tool" TEXT NOT NULL,
    "input" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "outputExcerpt" TEXT,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "approvalId" TEXT,
    "decision" JSONB,
    "durationMs" INTEGER,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "ToolCall_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ToolCall_executionId_callId_key" ON "ToolCall"("executionId", "callId");

-- CreateIndex
CREATE INDEX "ToolCall_taskId_idx" ON "ToolCall"("taskId");

-- AddForeignKey
ALTER TABLE "ToolCall" ADD CONSTRAINT "ToolCall_executionId_fkey" FOREIGN KEY ("executionId") REFERENCES "AgentExecution"("id") ON DELETE CASCADE ON UPDATE CASCADE;
