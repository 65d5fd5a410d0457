import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getPool } from "@/server/db/client";
import { readRunEvents } from "@/server/db/queries/run-events";
import { createTask, getTask } from "@/server/tasks/tasks";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";

/**
 * A task's and an execution's errors are shown to every member of the team, so an internal
 * error — here a real Postgres error, raised by a trigger when an agent's result is stored —
 * reaches them only as a reference; its text (which names a table) goes to the server log.
 */
useEmbeddedExecutor();

const SECRET = "internal_ledger_v2 on db-7.internal";

beforeAll(async () => {
  await getPool().query(`
    CREATE OR REPLACE FUNCTION refuse_marked_completion() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.status = 'completed' AND EXISTS (SELECT 1 FROM "Task" t WHERE t.id = NEW."taskId" AND t.prompt LIKE 'BREAK-STORAGE%') THEN
        RAISE EXCEPTION 'could not write to ${SECRET}';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER refuse_marked_completion BEFORE UPDATE ON "AgentExecution" FOR EACH ROW EXECUTE FUNCTION refuse_marked_completion();`);
});

afterAll(async () => {
  await getPool().query(
    `DROP TRIGGER IF EXISTS refuse_marked_completion ON "AgentExecution"; DROP FUNCTION IF EXISTS refuse_marked_completion();`,
  );
});

describe("an internal error that stops a task", () => {
  it("is shown to the team as a reference, with the details only in the server log", { timeout: 60_000 }, async () => {
    const logged: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    vi.spyOn(process.stderr, "write").mockImplementation((chunk, ...rest) => {
      logged.push(String(chunk));
      return write(chunk as string, ...(rest as []));
    });
    const previous = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = "error";
    try {
      const { callers } = await createTeamWithMembers();
      const task = await createTask(callers.user, { prompt: "BREAK-STORAGE: research the history of canals." });
      await waitForTaskStatus(task.id, ["completed", "failed"], 45_000);
      const done = await getTask(callers.viewer, task.id);

      expect(done.status).toBe("failed");
      expect(done.error).toMatch(/^Chorus hit an internal error \(reference [0-9a-f]{8}\); the server log has the details$/);
      const failed = done.executions.filter((execution) => execution.status === "failed");
      expect(failed.length).toBeGreaterThan(0);
      for (const execution of failed) expect(execution.error).toMatch(/^Chorus hit an internal error \(reference [0-9a-f]{8}\)/);
      // Nothing a member can read carries the database's text: not the task, not its events.
      expect(JSON.stringify(done)).not.toContain("internal_ledger_v2");
      expect(JSON.stringify(await readRunEvents(task.id))).not.toContain("internal_ledger_v2");

      // The log has it, under the reference the task shows.
      const reference = /reference ([0-9a-f]{8})/.exec(done.error!)![1]!;
      const line = logged.find((text) => text.includes(reference) && text.includes(SECRET));
      expect(line, "the server log has the error under its reference").toBeDefined();
    } finally {
      vi.restoreAllMocks();
      if (previous === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = previous;
    }
  });
});
