-- Tracing (#22 §3, docs/operations.md#tracing): the trace a task belongs to, shown in the task's
-- view, and the span that created it (the HTTP request), under which the task's own span is
-- written when it ends. Both null when tracing was off (or the trace not sampled) at creation.
-- Additive only: older code ignores the new columns.
-- AlterTable
ALTER TABLE "Task" ADD COLUMN "traceId" TEXT,
ADD COLUMN "traceParentSpanId" TEXT;
