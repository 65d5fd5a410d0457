-- Retention (issue #22, server/retention): one row per background prune of old rows — when it
-- ran and how many rows of each kind it deleted — so Settings → Data can say when the last one
-- ran in whichever process served the page. Not team-owned: pruning is server-wide maintenance.

-- CreateTable
CREATE TABLE "RetentionRun" (
    "id" BIGSERIAL NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "pruned" JSONB NOT NULL,

    CONSTRAINT "RetentionRun_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RetentionRun_finishedAt_idx" ON "RetentionRun"("finishedAt");
