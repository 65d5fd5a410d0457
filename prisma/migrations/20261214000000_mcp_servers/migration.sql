-- MCP servers per team (issue #19, server/mcp). Header values are stored only as an AES-256-GCM
-- envelope ("headersEncrypted", server/secrets) bound to the row's id; "headerNames" lists them
-- in clear for the dashboard. A team's servers are unique by name (their tools are named after it).

-- CreateEnum
CREATE TYPE "McpTransport" AS ENUM ('http', 'stdio');

-- CreateTable
CREATE TABLE "McpServer" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "transport" "McpTransport" NOT NULL,
    "url" TEXT,
    "command" TEXT,
    "args" TEXT[],
    "headerNames" TEXT[],
    "headersEncrypted" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "allAgents" BOOLEAN NOT NULL DEFAULT true,
    "allowedAgents" TEXT[],
    "toolSettings" JSONB NOT NULL,
    "toolCatalog" JSONB,
    "toolsRefreshedAt" TIMESTAMP(3),
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "McpServer_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "McpServer_teamId_name_key" ON "McpServer"("teamId", "name");

-- AddForeignKey
ALTER TABLE "McpServer" ADD CONSTRAINT "McpServer_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;
