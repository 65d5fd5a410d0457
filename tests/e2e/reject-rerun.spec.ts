import { E2E_DATA_DIR } from "../../playwright.config";
import { expect, test, type Page } from "@playwright/test";
import { createApiKeyWithCli, runCli, waitForTask } from "./support";

/**
 * Rejecting a plan and rerunning a finished task from a step, in the browser, as a team member
 * (role "user", not the admin); and a viewer, who may read tasks, is offered none of the controls.
 */
const dataDir = E2E_DATA_DIR;
const team = "e2e-team";
const suffix = Date.now().toString(36);
const member = { email: `member-${suffix}@e2e.test`, password: "member-password-123" };
const viewer = { email: `viewer-${suffix}@e2e.test`, password: "viewer-password-123" };
let memberKey: string;

test.beforeAll(() => {
  runCli(dataDir, ["user", "create", "--email", member.email, "--password", member.password, "--team", team, "--role", "user"]);
  runCli(dataDir, ["user", "create", "--email", viewer.email, "--password", viewer.password, "--team", team, "--role", "viewer"]);
  memberKey = createApiKeyWithCli(dataDir, team, "user");
});

async function signIn(page: Page, who: { email: string; password: string }, role: string) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tasks$/);
  await expect(page.getByTestId("current-user")).toContainText(`${who.email} · ${role}`);
}

async function submit(page: Page, prompt: string, requireApproval: boolean): Promise<string> {
  await page.getByLabel("What should the agents work on?").fill(prompt);
  if (requireApproval) await page.getByLabel("Let me approve the plan before any agent runs").check();
  await page.getByRole("button", { name: "Run task" }).click();
  await expect(page).toHaveURL(/\/tasks\/[a-z0-9]+$/);
  await expect(page.getByTestId("task-prompt")).toHaveText(prompt);
  return new URL(page.url()).pathname.split("/").at(-1)!;
}

function taskIdOf(page: Page): string {
  return new URL(page.url()).pathname.split("/").at(-1)!;
}

test("a member rejects a plan with a reason: the task ends cancelled and no agent ever runs", async ({ page, request, baseURL }) => {
  await signIn(page, member, "user");
  const id = await submit(page, "Research rooftop gardens on schools, analyse their costs, and write a short brief.", true);

  await expect(page.getByTestId("task-status")).toHaveText(/awaiting approval/);
  const panel = page.getByTestId("approval-panel");
  await expect(panel.getByRole("heading", { name: "This plan needs your approval" })).toBeVisible();
  const plan = page.getByTestId("plan");
  await expect(plan.locator(":scope > li")).toHaveCount(3);
  await expect(plan.locator('li[data-step-status="waiting"]')).toHaveCount(3);
  await expect(page.getByRole("button", { name: "Cancel task" })).toBeVisible();

  const reason = "Needs a budget step first";
  await panel.getByLabel("Reason (optional)").fill(reason);
  await panel.getByRole("button", { name: "Reject plan" }).click();
  await panel.getByRole("button", { name: "Yes, reject plan" }).click();

  await expect(page.getByTestId("task-status")).toHaveText(/cancelled/, { timeout: 10_000 });
  await expect(page.getByText(`Plan rejected: ${reason}`)).toBeVisible();
  await expect(page.getByTestId("approval-panel")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Cancel task" })).toHaveCount(0);

  // The coordinator has taken the decision (the task is final), and no agent ran, then or later.
  const stored = await waitForTask(request, baseURL!, memberKey, id, (task) => task.status === "cancelled");
  expect(stored).toMatchObject({ error: `Plan rejected: ${reason}`, approval: { approved: false, reason }, executions: [] });
  await page.waitForTimeout(3_000);
  await page.reload();
  await expect(page.getByTestId("task-status")).toHaveText(/cancelled/);
  await expect(page.getByText(`Plan rejected: ${reason}`)).toBeVisible();
  await expect(page.getByTestId("approval-panel")).toHaveCount(0);
  await expect(page.getByTestId("plan").locator(":scope > li")).toHaveCount(3);
  await expect(page.getByTestId("plan").locator('li[data-step-status="waiting"]')).toHaveCount(3);
  // Steps of a finished task that never ran say so (not "queued"), and nothing claims partial outputs.
  await expect(page.getByTestId("plan").locator('li [data-status="not run"]')).toHaveCount(3);
  await expect(page.getByText(`Plan rejected: ${reason}. No agent ran.`)).toBeVisible();
  await expect(page.getByText("Partial outputs are kept below.")).toHaveCount(0);
  await expect(page.getByTestId("result")).toHaveCount(0);
  const after = await (await request.get(`/api/v1/tasks/${id}`, { headers: { Authorization: `Bearer ${memberKey}` } })).json();
  expect(after).toMatchObject({ status: "cancelled", executions: [] });
});

test("a member reruns a completed task from its analysis step with a new instruction; the research is reused", async ({
  page,
  request,
  baseURL,
}) => {
  await signIn(page, member, "user");
  const originalId = await submit(page, "Research how libraries lend seeds, analyse what makes it work, and write a short brief.", false);
  const plan = page.getByTestId("plan");
  await expect(page.getByTestId("task-status")).toHaveText(/completed/, { timeout: 90_000 });
  await expect(plan.locator('li[data-step-status="completed"]')).toHaveCount(3);
  const originalResult = await page.getByTestId("result").innerText();

  // Rerun from the analysis step, changing its instruction.
  const instruction = "Analyse the research on seed libraries with a focus on volunteer time and seed quality.";
  const analysisCard = page.getByTestId("step-analysis");
  await analysisCard.getByRole("button", { name: "Rerun from this step…" }).click();
  const field = analysisCard.getByLabel("Instruction for analysis");
  await expect(field).not.toHaveValue("");
  await field.fill(instruction);
  await analysisCard.getByRole("button", { name: "Rerun", exact: true }).click();

  // The browser lands on the new attempt, which says where it came from.
  await expect(page).toHaveURL((url) => /^\/tasks\/[a-z0-9]+$/.test(url.pathname) && !url.pathname.endsWith(`/${originalId}`));
  const rerunId = taskIdOf(page);
  await expect(page.getByText(/Rerun of an earlier attempt from step “analysis”/)).toBeVisible();
  await expect(page.getByRole("link", { name: "an earlier attempt" })).toHaveAttribute("href", `/tasks/${originalId}`);
  await expect(page.getByTestId("task-prompt")).toHaveText(
    "Research how libraries lend seeds, analyse what makes it work, and write a short brief.",
  );
  // It did not ask for approval (the original did not), and shows the new instruction in its plan.
  await expect(page.getByTestId("approval-panel")).toHaveCount(0);
  await expect(page.getByTestId("step-analysis")).toContainText(instruction);

  // The rerun steps stream (one agent at a time, never the reused research), then complete.
  const streaming = page.getByTestId("plan").locator('li[data-step-status="running"]');
  await expect(streaming).toHaveCount(1, { timeout: 30_000 });
  await expect(streaming).toHaveAttribute("data-testid", /^step-(analysis|synthesis)$/);
  await expect(streaming.locator("pre")).not.toBeEmpty();
  await expect(page.getByTestId("task-status")).toHaveText(/completed/, { timeout: 90_000 });
  await expect(page.getByTestId("step-analysis")).toHaveAttribute("data-step-status", "completed");
  await expect(page.getByTestId("step-synthesis")).toHaveAttribute("data-step-status", "completed");
  await expect(page.getByTestId("step-analysis").getByText(/^Output/)).toBeVisible();
  await expect(page.getByTestId("step-synthesis").getByText(/^Output/)).toBeVisible();
  await expect(page.getByTestId("result")).toBeVisible();
  await expect(page.getByTestId("result")).not.toHaveText(originalResult);
  // The research step shows the output it reuses from the original, marked as reused.
  const research = page.getByTestId("step-research");
  await expect(research).toHaveAttribute("data-step-status", "completed");
  await expect(research.locator('[data-status="reused"]')).toBeVisible();
  await expect(research.getByText("Output, reused from the earlier attempt")).toBeVisible();
  // The research step was not run again: only analysis and synthesis ran in the new attempt.
  const rerun = await waitForTask(request, baseURL!, memberKey, rerunId, (task) => task.status === "completed");
  expect(rerun).toMatchObject({ parentTaskId: originalId, rerunFromStep: "analysis", requireApproval: false });
  const ran = rerun.executions
    .filter((execution: { reusedFromId: string | null }) => !execution.reusedFromId)
    .map((execution: { stepId: string }) => execution.stepId);
  expect(ran.sort()).toEqual(["analysis", "synthesis"]);
  expect(
    rerun.executions
      .filter((execution: { reusedFromId: string | null }) => execution.reusedFromId)
      .map((execution: { stepId: string }) => execution.stepId),
  ).toEqual(["research"]);

  // The original attempt lists the rerun and links to it; it is still completed.
  await page.getByRole("link", { name: "an earlier attempt" }).click();
  await expect(page).toHaveURL(new RegExp(`/tasks/${originalId}$`));
  await expect(page.getByTestId("task-status")).toHaveText(/completed/);
  await expect(page.getByText("Reruns:")).toBeVisible();
  await expect(page.getByRole("link", { name: "#1" })).toHaveAttribute("href", `/tasks/${rerunId}`);
  await page.reload();
  await expect(page.getByRole("link", { name: "#1" })).toHaveAttribute("href", `/tasks/${rerunId}`);
});

test("a viewer can read tasks but is offered no approve, reject, cancel, rerun or new-task control", async ({ page, request, baseURL }) => {
  const headers = { Authorization: `Bearer ${memberKey}` };
  const completed = await (
    await request.post("/api/v1/tasks", { headers, data: { prompt: "Research bike-repair cafés and write a short note." } })
  ).json();
  const waiting = await (
    await request.post("/api/v1/tasks", {
      headers,
      data: { prompt: "Research tool libraries and write a short note.", requireApproval: true },
    })
  ).json();
  await waitForTask(request, baseURL!, memberKey, completed.id, (task) => task.status === "completed");
  await waitForTask(request, baseURL!, memberKey, waiting.id, (task) => task.status === "awaiting_approval");

  await signIn(page, viewer, "viewer");
  await expect(page.getByText("Your role (viewer) can read tasks but not start them.")).toBeVisible();
  await expect(page.getByLabel("What should the agents work on?")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Run task" })).toHaveCount(0);

  // A plan waiting for approval: the viewer sees the plan, but no panel and no cancel.
  await page.goto(`/tasks/${waiting.id}`);
  await expect(page.getByTestId("task-status")).toHaveText(/awaiting approval/);
  await expect(page.getByTestId("plan").locator(":scope > li")).toHaveCount(3);
  await expect(page.getByTestId("approval-panel")).toHaveCount(0);
  for (const name of ["Approve plan", "Edit plan", "Reject plan", "Cancel task"]) {
    await expect(page.getByRole("button", { name })).toHaveCount(0);
  }

  // A completed task: the viewer sees the steps and the result, but cannot rerun any step.
  await page.goto(`/tasks/${completed.id}`);
  await expect(page.getByTestId("task-status")).toHaveText(/completed/);
  await expect(page.getByTestId("plan").locator('li[data-step-status="completed"]')).toHaveCount(3);
  await expect(page.getByTestId("result")).toBeVisible();
  await expect(page.getByRole("button", { name: /Rerun/ })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Cancel task" })).toHaveCount(0);

  // The waiting task is untouched by the viewer's visit.
  const still = await (await request.get(`/api/v1/tasks/${waiting.id}`, { headers })).json();
  expect(still).toMatchObject({ status: "awaiting_approval", approval: null, executions: [] });
  await request.post(`/api/v1/tasks/${waiting.id}/cancel`, { headers });
});
