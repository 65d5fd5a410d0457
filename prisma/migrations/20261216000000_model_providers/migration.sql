-- Model providers per team (issue #20, server/teams/model-providers.ts). The API key is stored only
-- as an AES-256-GCM envelope ("apiKeyEncrypted", server/secrets) bound to the row's id; "keyLast4"
-- is what people see. A team's model routing (which provider and model serve each role and agent
-- kind, with fallbacks) is a validated JSON column on Team.

-- CreateEnum
CREATE TYPE "ModelProviderKind" AS ENUM ('openai', 'anthropic', 'openai_compatible');

-- AlterTable
ALTER TABLE "Team" ADD COLUMN "modelRouting" JSONB;

-- CreateTable
CREATE TABLE "ModelProvider" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "ModelProviderKind" NOT NULL,
    "baseUrl" TEXT,
    "apiKeyEncrypted" TEXT,
    "keyLast4" TEXT,
    "connectTimeoutMs" INTEGER,
    "stallTimeoutMs" INTEGER NOT NULL DEFAULT 60000,
    "overallTimeoutMs" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ModelProvider_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ModelProvider_teamId_name_key" ON "ModelProvider"("teamId", "name");

-- AddForeignKey
ALTER TABLE "ModelProvider" ADD CONSTRAINT "ModelProvider_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;
