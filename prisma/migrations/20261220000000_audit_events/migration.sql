-- The audit log (#18): who did what in a team and when — sign-ins and their failures, task
-- actions, API keys, agents, settings, knowledge. One row per action, written after the action
-- by server/audit/record-audit.ts and never updated. `actorType` is user, api_key, cli or system;
-- `actorId` the user's or key's id (null for the CLI and the system). `details` is a small JSON
-- object that never holds a secret or a prompt's text. Rows older than
-- CHORUS_AUDIT_RETENTION_DAYS are deleted in batches by createdAt (server/audit/audit-retention.ts).

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "actorType" TEXT NOT NULL,
    "actorId" TEXT,
    "action" TEXT NOT NULL,
    "targetType" TEXT,
    "targetId" TEXT,
    "details" JSONB NOT NULL,
    "ipAddress" TEXT,
    "userAgent" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- The page and the export: a team's events, newest first (the cursor is createdAt, then id).
-- CreateIndex
CREATE INDEX "AuditEvent_teamId_createdAt_id_idx" ON "AuditEvent"("teamId", "createdAt" DESC, "id" DESC);

-- Filtered by who did it.
-- CreateIndex
CREATE INDEX "AuditEvent_teamId_actorId_createdAt_idx" ON "AuditEvent"("teamId", "actorId", "createdAt" DESC);

-- Filtered by what it was done to.
-- CreateIndex
CREATE INDEX "AuditEvent_teamId_targetType_targetId_createdAt_idx" ON "AuditEvent"("teamId", "targetType", "targetId", "createdAt" DESC);

-- Filtered by action (an exact name, or a prefix such as `task.`).
-- CreateIndex
CREATE INDEX "AuditEvent_teamId_action_createdAt_idx" ON "AuditEvent"("teamId", "action", "createdAt" DESC);

-- Retention: the oldest rows of every team, deleted in batches.
-- CreateIndex
CREATE INDEX "AuditEvent_createdAt_idx" ON "AuditEvent"("createdAt");

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;
