-- The model service's response cache and usage records (#20 §6, §7). A team can switch the
-- cache off (Team.modelCacheEnabled) and so can a task (Task.useModelCache). LlmCacheEntry
-- holds a stored model response per team and request hash; ModelCall is one row per model call,
-- what it spent and what that cost, and is what a task's usage sums.

-- AlterTable
ALTER TABLE "Team" ADD COLUMN "modelCacheEnabled" BOOLEAN NOT NULL DEFAULT true;

-- AlterTable
ALTER TABLE "Task" ADD COLUMN "useModelCache" BOOLEAN NOT NULL DEFAULT true;

-- CreateTable
CREATE TABLE "LlmCacheEntry" (
    "teamId" TEXT NOT NULL,
    "requestHash" TEXT NOT NULL,
    "modelKey" TEXT NOT NULL,
    "response" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LlmCacheEntry_pkey" PRIMARY KEY ("teamId","requestHash")
);

-- CreateIndex
CREATE INDEX "LlmCacheEntry_expiresAt_idx" ON "LlmCacheEntry"("expiresAt");

-- AddForeignKey
ALTER TABLE "LlmCacheEntry" ADD CONSTRAINT "LlmCacheEntry_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "ModelCall" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "taskId" TEXT,
    "executionId" TEXT,
    "role" TEXT NOT NULL,
    "agentKind" TEXT,
    "userId" TEXT,
    "provider" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "inputTokens" INTEGER NOT NULL DEFAULT 0,
    "outputTokens" INTEGER NOT NULL DEFAULT 0,
    "cachedInputTokens" INTEGER NOT NULL DEFAULT 0,
    "reasoningTokens" INTEGER NOT NULL DEFAULT 0,
    "costUsd" DECIMAL(12,6),
    "priceKnown" BOOLEAN NOT NULL,
    "cached" BOOLEAN NOT NULL DEFAULT false,
    "estimated" BOOLEAN NOT NULL DEFAULT false,
    "outcome" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "durationMs" INTEGER NOT NULL,

    CONSTRAINT "ModelCall_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ModelCall_teamId_startedAt_idx" ON "ModelCall"("teamId", "startedAt");

-- CreateIndex
CREATE INDEX "ModelCall_taskId_idx" ON "ModelCall"("taskId");

-- AddForeignKey
ALTER TABLE "ModelCall" ADD CONSTRAINT "ModelCall_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;
