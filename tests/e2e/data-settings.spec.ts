import { execFileSync } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { E2E_ADMIN, E2E_DATA_DIR } from "../../playwright.config";
import { createApiKeyWithCli, runCli, waitForTask } from "./support";

/**
 * Settings → Data in the browser: after a task, an admin sees the team's size by table (the
 * numbers the API gives) and the retention in effect, with no serious accessibility violation in
 * light or dark mode; `chorus backup` copies the running server's database; and after
 * `chorus prune` a task's page still shows its result and steps. Any console error fails the test.
 */
test("an admin sees the team's storage by table and the retention; the running server can be backed up", async ({
  page,
  request,
  baseURL,
}) => {
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));

  const adminKey = createApiKeyWithCli(E2E_DATA_DIR, "e2e-team", "admin");
  const created = await request.post(`${baseURL}/api/v1/tasks`, {
    headers: { Authorization: `Bearer ${adminKey}` },
    data: { prompt: "Research how community gardens reduce food costs, then analyse and summarise." },
  });
  expect(created.status()).toBe(201);
  const task = await created.json();
  await waitForTask(request, baseURL!, adminKey, task.id, (current) => current.status === "completed");

  const scratch = await mkdtemp(path.join(tmpdir(), "chorus-e2e-backup-"));
  try {
    const file = path.join(scratch, "running.chorus-backup");
    const output = runCli(E2E_DATA_DIR, ["backup", file]);
    expect(output).toMatch(/Backed up the embedded database/);
    expect(output).toMatch(/Left out of it: .*master\.key/);
    expect((await stat(file)).size).toBeGreaterThan(1024 * 1024);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  // Prune now, keeping nothing of finished tasks: the task's run events and executor state go.
  const pruned = execFileSync("node", ["bin/chorus.mjs", "prune"], {
    env: {
      ...process.env,
      CHORUS_DATA_DIR: E2E_DATA_DIR,
      DATABASE_URL: "",
      CHORUS_RUN_EVENT_RETENTION_DAYS: "0",
      CHORUS_WORKFLOW_STATE_RETENTION_DAYS: "0",
    },
    encoding: "utf8",
  });
  expect(pruned).toMatch(/Pruned [1-9]\d* run events, [1-9]\d* finished workflow runs/);

  await page.goto("/signin");
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tasks$/);
  await page.goto("/settings/tools");
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Data" }).click();
  await expect(page).toHaveURL(/\/settings\/data$/);

  // The page shows what the API measures (the same measurement, kept for a minute).
  const api = await (await request.get(`${baseURL}/api/v1/team/storage`, { headers: { Authorization: `Bearer ${adminKey}` } })).json();
  const tasks = api.tables.find((entry: { table: string }) => entry.table === "Task");
  expect(tasks.rows).toBeGreaterThanOrEqual(1);
  const taskRow = page.getByTestId("storage-row-Task");
  await expect(taskRow.getByRole("rowheader")).toHaveText("Tasks");
  await expect(taskRow.getByRole("cell").first()).toHaveText(tasks.rows.toLocaleString("en-US"));
  // The executions stay after the prune (the run events went).
  await expect(page.getByTestId("storage-row-AgentExecution").getByRole("cell").first()).not.toHaveText("0");
  await expect(page.getByTestId("storage-team-bytes")).toHaveText(/^\d+(\.\d)? (B|KB|MB|GB)$/);
  await expect(page.getByTestId("storage-database-bytes")).toHaveText(/^\d+(\.\d)? (MB|GB)$/);
  await expect(page.getByTestId("storage-retention")).toContainText(`${api.retention.runEventDays} days`);
  await expect(page.getByTestId("storage-last-prune")).toContainText("Old rows were last pruned");

  // The task whose run events were pruned still shows its result and its steps (from what is kept).
  await page.goto(`/tasks/${task.id}`);
  await expect(page.getByTestId("task-status")).toHaveText(/completed/);
  await expect(page.getByTestId("result")).toContainText(/community garden/i);
  for (const agent of ["research", "analysis", "synthesis"]) await expect(page.getByText(agent, { exact: false }).first()).toBeVisible();
  await page.goto("/settings/data");

  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    await page.reload();
    await expect(page.locator("html")).toHaveClass(colorScheme === "dark" ? /\bdark\b/ : /^(?!.*\bdark\b)/);
    await expect(page.getByTestId("storage-tables")).toBeVisible();
    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical");
    expect(serious.map((violation) => `${colorScheme}: ${violation.id}: ${violation.help}`)).toEqual([]);
  }
  expect(consoleErrors).toEqual([]);
});
