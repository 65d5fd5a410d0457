import { expect, test, type Page } from "@playwright/test";
import { E2E_ADMIN } from "../../playwright.config";

async function signIn(page: Page) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tasks$/);
}

async function submit(page: Page, prompt: string, requireApproval: boolean) {
  await page.getByLabel("What should the agents work on?").fill(prompt);
  if (requireApproval) await page.getByLabel("Let me approve the plan before any agent runs").check();
  await page.getByRole("button", { name: "Run task" }).click();
  await expect(page).toHaveURL(/\/tasks\/[a-z0-9]+$/);
}

test("a plan waits for approval; an edited plan is approved and runs", async ({ page }) => {
  await signIn(page);
  await submit(page, "Research community solar projects and write a one-page summary.", true);
  await expect(page.getByTestId("task-status")).toHaveText(/awaiting approval/);
  const panel = page.getByTestId("approval-panel");
  await expect(panel).toBeVisible();
  await expect(page.locator('li[data-step-status="running"]')).toHaveCount(0);

  await panel.getByRole("button", { name: "Edit plan" }).click();
  const firstStep = panel.locator("textarea").first();
  await firstStep.fill("Gather three facts about community solar in Denmark.");
  await panel.getByRole("button", { name: "Approve edited plan" }).click();

  await expect(page.getByTestId("approval-panel")).toHaveCount(0);
  await expect(page.getByTestId("plan")).toContainText("Gather three facts about community solar in Denmark.");
  await expect(page.getByTestId("task-status")).toHaveText(/completed/, { timeout: 90_000 });
  await expect(page.getByTestId("result")).toBeVisible();
});

test("cancelling a running task stops it and keeps what the agent had written", async ({ page }) => {
  await signIn(page);
  await submit(page, "Research the history of tide mills across Europe in depth, analyse it, and write a long report.", false);
  // Wait until an agent is streaming, then cancel.
  await expect(page.locator('li[data-step-status="running"]')).toHaveCount(1, { timeout: 30_000 });
  await page.getByRole("button", { name: "Cancel task" }).click();
  await page.getByRole("button", { name: "Yes, cancel task" }).click();
  await expect(page.getByTestId("task-status")).toHaveText(/cancelled/, { timeout: 5_000 });
  await expect(page.getByText("Partial outputs are kept below.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Cancel task" })).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId("task-status")).toHaveText(/cancelled/);
  await expect(page.locator('li[data-step-status="running"]')).toHaveCount(0);
});
