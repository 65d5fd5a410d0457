-- Signed webhooks (issue #18, server/webhooks, docs/webhooks.md).
--
-- "WebhookEndpoint": where a team's admins want to hear about task events. The Standard Webhooks
-- signing secret is stored only as an AES-256-GCM envelope ("secretEncrypted", server/secrets)
-- bound to the row's id: it must be recoverable to sign, so it is encrypted, not hashed.
--
-- "WebhookDelivery" is the outbox: one row per (event, endpoint). Rows for task events are
-- written by the triggers below, in the same transaction as the status change (or the
-- budget-warning run event) that caused them, whichever statement made it — so no status change
-- commits without its deliveries, and none is recorded for a change that rolled back. A relay
-- (server/webhooks/delivery-relay.ts) hands undispatched rows to the durable delivery function.
-- "WebhookAttempt" records every HTTP attempt of a delivery.

-- AlterTable
ALTER TABLE "Team" ADD COLUMN "webhookPrivateDestinations" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "WebhookEndpoint" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "events" TEXT[],
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "secretEncrypted" TEXT NOT NULL,
    "disabledReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WebhookEndpoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "endpointId" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "eventType" TEXT NOT NULL,
    "taskId" TEXT,
    "payload" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3),
    "responseStatus" INTEGER,
    "durationMs" INTEGER,
    "responseExcerpt" TEXT,
    "error" TEXT,
    "dispatchedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookAttempt" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "deliveryId" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "statusCode" INTEGER,
    "durationMs" INTEGER NOT NULL,
    "responseExcerpt" TEXT,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WebhookAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "WebhookEndpoint_teamId_idx" ON "WebhookEndpoint"("teamId");

-- CreateIndex
CREATE INDEX "WebhookDelivery_endpointId_createdAt_idx" ON "WebhookDelivery"("endpointId", "createdAt");

-- CreateIndex
CREATE INDEX "WebhookDelivery_dispatchedAt_idx" ON "WebhookDelivery"("dispatchedAt");

-- CreateIndex
CREATE UNIQUE INDEX "WebhookAttempt_deliveryId_attempt_key" ON "WebhookAttempt"("deliveryId", "attempt");

-- AddForeignKey
ALTER TABLE "WebhookEndpoint" ADD CONSTRAINT "WebhookEndpoint_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_endpointId_fkey" FOREIGN KEY ("endpointId") REFERENCES "WebhookEndpoint"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookAttempt" ADD CONSTRAINT "WebhookAttempt_deliveryId_fkey" FOREIGN KEY ("deliveryId") REFERENCES "WebhookDelivery"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The outbox rows for one event: one per enabled endpoint of the team subscribed to it. The
-- payload's `data` is fixed here, when the event happens (links are added when it is sent).
CREATE FUNCTION chorus_enqueue_webhooks(team_id TEXT, event_type TEXT, task_id TEXT, data JSONB) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO "WebhookDelivery" ("id", "teamId", "endpointId", "messageId", "eventType", "taskId", "payload")
  SELECT 'wd' || replace(gen_random_uuid()::text, '-', ''), team_id, e."id", 'msg_' || replace(gen_random_uuid()::text, '-', ''),
         event_type, task_id,
         jsonb_build_object('type', event_type, 'timestamp', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'data', data)
  FROM "WebhookEndpoint" e
  WHERE e."teamId" = team_id AND e."enabled" AND event_type = ANY (e."events");
$$;

-- A task reached a state webhooks report: task.completed, task.failed, task.cancelled,
-- task.awaiting_approval or task.budget_exceeded. Excerpts are short: a receiver that wants the
-- whole result reads the task through the API.
CREATE FUNCTION chorus_task_status_webhooks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM chorus_enqueue_webhooks(NEW."teamId", 'task.' || NEW."status"::text, NEW."id", jsonb_strip_nulls(jsonb_build_object(
    'taskId', NEW."id",
    'status', NEW."status"::text,
    'promptExcerpt', left(NEW."prompt", 200),
    'resultExcerpt', CASE WHEN NEW."status"::text = 'completed' THEN left(NEW."output"->>'markdown', 500) END,
    'error', left(NEW."error", 500))));
  RETURN NULL;
END;
$$;

CREATE TRIGGER "Task_webhooks"
AFTER UPDATE OF "status" ON "Task"
FOR EACH ROW
-- (Compared as text, so the trigger does not depend on which migration added each enum value.)
WHEN (OLD."status" IS DISTINCT FROM NEW."status"
      AND NEW."status"::text IN ('completed', 'failed', 'cancelled', 'awaiting_approval', 'budget_exceeded'))
EXECUTE FUNCTION chorus_task_status_webhooks();

-- The team's monthly budget reached 80% (server/llm/budget.ts warns once a month; the task whose
-- call crossed it appends a task.budget_warning run event with scope "team").
CREATE FUNCTION chorus_budget_warning_webhooks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM chorus_enqueue_webhooks(t."teamId", 'team.budget_warning', NEW."taskId", jsonb_strip_nulls(jsonb_build_object(
    'taskId', NEW."taskId",
    'share', NEW."payload"->'share',
    'monthlyBudgetUsd', NEW."payload"->'monthlyBudgetUsd',
    'spentUsd', NEW."payload"->'spentUsd')))
  FROM "Task" t WHERE t."id" = NEW."taskId";
  RETURN NULL;
END;
$$;

CREATE TRIGGER "RunEvent_budget_warning_webhooks"
AFTER INSERT ON "RunEvent"
FOR EACH ROW
WHEN (NEW."type" = 'task.budget_warning' AND NEW."payload"->>'scope' = 'team')
EXECUTE FUNCTION chorus_budget_warning_webhooks();
