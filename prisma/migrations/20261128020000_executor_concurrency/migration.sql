-- AlterTable
ALTER TABLE "WorkflowRun" ADD COLUMN     "concurrency" JSONB,
ADD COLUMN     "slots" INTEGER NOT NULL DEFAULT 1;

-- CreateIndex
CREATE INDEX "WorkflowRun_leaseExpiresAt_idx" ON "WorkflowRun"("leaseExpiresAt");
