-- Evals (issue #24, docs/evals.md): datasets of cases, versioned (every edit writes a new
-- immutable version), experiments that run a version under a configuration, and one result per
-- case. Tasks an experiment starts carry its configuration in "runConfig". Additive only: older
-- code ignores the new column and tables.

-- CreateEnum
CREATE TYPE "EvalExperimentStatus" AS ENUM ('queued', 'running', 'completed', 'budget_exceeded', 'failed', 'cancelled');

-- AlterTable
ALTER TABLE "Task" ADD COLUMN "runConfig" JSONB;

-- CreateTable
CREATE TABLE "EvalDataset" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "latestVersion" INTEGER NOT NULL DEFAULT 1,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EvalDataset_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EvalDatasetVersion" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "note" TEXT NOT NULL DEFAULT '',
    "caseCount" INTEGER NOT NULL DEFAULT 0,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EvalDatasetVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EvalCase" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "versionId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "prompt" TEXT NOT NULL,
    "expected" JSONB NOT NULL,
    "sourceTaskId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EvalCase_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EvalExperiment" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "datasetVersionId" TEXT NOT NULL,
    "config" JSONB NOT NULL,
    "status" "EvalExperimentStatus" NOT NULL DEFAULT 'queued',
    "error" TEXT,
    "budgetUsd" DECIMAL(12,6),
    "reservedUsd" DECIMAL(20,10) NOT NULL DEFAULT 0,
    "spentUsd" DECIMAL(20,10) NOT NULL DEFAULT 0,
    "caseCount" INTEGER NOT NULL,
    "summary" JSONB,
    "baselineId" TEXT,
    "createdById" TEXT,
    "apiKeyId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "EvalExperiment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EvalResult" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "experimentId" TEXT NOT NULL,
    "caseId" TEXT NOT NULL,
    "caseKey" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "taskId" TEXT,
    "allowanceUsd" DECIMAL(20,10),
    "output" TEXT,
    "scores" JSONB,
    "score" DOUBLE PRECISION,
    "passed" BOOLEAN,
    "costUsd" DECIMAL(20,10) NOT NULL DEFAULT 0,
    "tokens" INTEGER NOT NULL DEFAULT 0,
    "durationMs" INTEGER,
    "error" TEXT,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EvalResult_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "EvalDataset_teamId_name_key" ON "EvalDataset"("teamId", "name");

-- CreateIndex
CREATE INDEX "EvalDatasetVersion_teamId_idx" ON "EvalDatasetVersion"("teamId");

-- CreateIndex
CREATE UNIQUE INDEX "EvalDatasetVersion_datasetId_version_key" ON "EvalDatasetVersion"("datasetId", "version");

-- CreateIndex
CREATE INDEX "EvalCase_versionId_position_idx" ON "EvalCase"("versionId", "position");

-- CreateIndex
CREATE UNIQUE INDEX "EvalCase_versionId_key_key" ON "EvalCase"("versionId", "key");

-- CreateIndex
CREATE INDEX "EvalExperiment_teamId_createdAt_idx" ON "EvalExperiment"("teamId", "createdAt");

-- CreateIndex
CREATE INDEX "EvalExperiment_datasetId_idx" ON "EvalExperiment"("datasetId");

-- CreateIndex
CREATE UNIQUE INDEX "EvalResult_taskId_key" ON "EvalResult"("taskId");

-- CreateIndex
CREATE INDEX "EvalResult_experimentId_status_idx" ON "EvalResult"("experimentId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "EvalResult_experimentId_caseId_key" ON "EvalResult"("experimentId", "caseId");

-- AddForeignKey
ALTER TABLE "EvalDataset" ADD CONSTRAINT "EvalDataset_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EvalDatasetVersion" ADD CONSTRAINT "EvalDatasetVersion_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "EvalDataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EvalCase" ADD CONSTRAINT "EvalCase_versionId_fkey" FOREIGN KEY ("versionId") REFERENCES "EvalDatasetVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EvalExperiment" ADD CONSTRAINT "EvalExperiment_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EvalExperiment" ADD CONSTRAINT "EvalExperiment_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "EvalDataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EvalExperiment" ADD CONSTRAINT "EvalExperiment_datasetVersionId_fkey" FOREIGN KEY ("datasetVersionId") REFERENCES "EvalDatasetVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EvalResult" ADD CONSTRAINT "EvalResult_experimentId_fkey" FOREIGN KEY ("experimentId") REFERENCES "EvalExperiment"("id") ON DELETE CASCADE ON UPDATE CASCADE;
