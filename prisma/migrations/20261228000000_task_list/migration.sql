-- The task list (#21 §1, docs/dashboard.md): search over prompts and results, keyset pages with
-- filters, and the team's status stream. Additive only: older code ignores the new column,
-- trigger and indexes.

-- Full-text search over a task's prompt and its result's text. A column kept by a trigger that
-- fires only when the prompt or the output is written (not on every "lastSeq" bump an appended
-- event makes), so the hot path does not re-parse the text. English stemming (the default
-- CHORUS_KNOWLEDGE_LANGUAGE): the configuration must be a constant for the index to serve the
-- query (server/db/queries/task-list.ts uses the same one).
-- AlterTable
ALTER TABLE "Task" ADD COLUMN "searchVector" tsvector;

CREATE FUNCTION "chorus_task_search_vector"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."searchVector" := to_tsvector('english'::regconfig, NEW.prompt || ' ' || COALESCE(NEW.output ->> 'text', ''));
  RETURN NEW;
END
$$;

CREATE TRIGGER "Task_searchVector" BEFORE INSERT OR UPDATE OF prompt, output ON "Task"
  FOR EACH ROW EXECUTE FUNCTION "chorus_task_search_vector"();

UPDATE "Task" SET "searchVector" = to_tsvector('english'::regconfig, prompt || ' ' || COALESCE(output ->> 'text', ''));

-- CreateIndex
CREATE INDEX "Task_searchVector_idx" ON "Task" USING GIN ("searchVector");

-- The list's keyset order within a team: (createdAt, id), newest first.
-- CreateIndex
CREATE INDEX "Task_teamId_createdAt_id_idx" ON "Task"("teamId", "createdAt" DESC, "id" DESC);

-- The team stream (server/events/team-task-feed.ts) reads status events in commit-safe order:
-- the appending transaction's id, then the event id. A reader takes only events of transactions
-- older than its snapshot's xmin (all finished), so an event committed later always sorts after
-- everything already sent — resuming after (xid, id) misses nothing. SET DEFAULT after ADD
-- COLUMN: no table rewrite; events stored before this migration have no xid and are not streamed.
-- AlterTable
ALTER TABLE "RunEvent" ADD COLUMN "xid" xid8;
ALTER TABLE "RunEvent" ALTER COLUMN "xid" SET DEFAULT pg_current_xact_id();

-- Only the status-changing types (a small share of the log, whose bulk is agent.delta).
-- CreateIndex
CREATE INDEX "RunEvent_xid_id_idx" ON "RunEvent"("xid", "id")
  WHERE type IN ('task.created', 'task.planned', 'task.approved', 'task.completed', 'task.failed', 'task.cancelled', 'task.budget_exceeded');
