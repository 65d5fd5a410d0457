-- Versions of team agents (#19): every create and edit of an AgentDefinition writes an immutable
-- AgentDefinitionVersion; the definition points at its current one; executions record the
-- version they ran. Versions have no foreign key to their agent, so deleting an agent keeps the
-- versions its past executions used (and the kind becomes free again).

-- CreateTable
CREATE TABLE "AgentDefinitionVersion" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "agentId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "instructions" TEXT NOT NULL,
    "capabilities" TEXT[],
    "modelId" TEXT,
    "tools" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "outputFormat" TEXT NOT NULL DEFAULT 'markdown',
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AgentDefinitionVersion_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "AgentDefinitionVersion_agentId_version_key" ON "AgentDefinitionVersion"("agentId", "version");

-- CreateIndex
CREATE INDEX "AgentDefinitionVersion_teamId_kind_idx" ON "AgentDefinitionVersion"("teamId", "kind");

-- AddForeignKey
ALTER TABLE "AgentDefinitionVersion" ADD CONSTRAINT "AgentDefinitionVersion_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgentDefinitionVersion" ADD CONSTRAINT "AgentDefinitionVersion_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AlterTable
ALTER TABLE "AgentDefinition" ADD COLUMN "tools" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN "outputFormat" TEXT NOT NULL DEFAULT 'markdown',
ADD COLUMN "version" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN "currentVersionId" TEXT;

-- Existing definitions become version 1 of themselves.
INSERT INTO "AgentDefinitionVersion" ("id", "teamId", "agentId", "kind", "version", "name", "description", "instructions", "capabilities", "modelId", "createdAt")
SELECT 'v1' || d."id", d."teamId", d."id", d."kind", 1, d."name", d."description", d."instructions", d."capabilities", d."modelId", d."createdAt"
FROM "AgentDefinition" d;
UPDATE "AgentDefinition" SET "currentVersionId" = 'v1' || "id";

-- CreateIndex
CREATE UNIQUE INDEX "AgentDefinition_currentVersionId_key" ON "AgentDefinition"("currentVersionId");

-- AddForeignKey
ALTER TABLE "AgentDefinition" ADD CONSTRAINT "AgentDefinition_currentVersionId_fkey" FOREIGN KEY ("currentVersionId") REFERENCES "AgentDefinitionVersion"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AlterTable
ALTER TABLE "AgentExecution" ADD COLUMN "agentVersion" INTEGER,
ADD COLUMN "agentVersionId" TEXT;
