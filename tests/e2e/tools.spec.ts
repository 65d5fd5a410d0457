import { expect, test, type Page } from "@playwright/test";
import { E2E_ADMIN } from "../../playwright.config";

/**
 * Agents' tools in the browser, on the offline model: a document uploaded to the knowledge base
 * is found by the research agent's search_knowledge call, shown as a tool call on the task page,
 * and cited in the result with a link to its page; a tool the team flags waits for a member to
 * approve the call on the task page.
 */

async function signIn(page: Page) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tasks$/);
}

async function submit(page: Page, prompt: string) {
  await page.goto("/tasks");
  await page.getByLabel("What should the agents work on?").fill(prompt);
  await page.getByRole("button", { name: "Run task" }).click();
  await expect(page).toHaveURL(/\/tasks\/[a-z0-9]+$/);
}

async function setApproval(page: Page, needed: boolean) {
  await page.goto("/settings/tools");
  const box = page.getByRole("checkbox", { name: /Search the knowledge base/ });
  if (needed) await box.check();
  else await box.uncheck();
  await page.getByRole("button", { name: "Save approvals" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved.");
}

test("an uploaded document is searched by the research agent, shown as a tool call, and cited in the result", async ({ page }) => {
  await signIn(page);
  await page.goto("/knowledge");
  await page.locator("#knowledge-file").setInputFiles({
    name: "skerryvore.md",
    mimeType: "text/markdown",
    buffer: Buffer.from(
      "# Skerryvore keepers\n\nThe Skerryvore lighthouse keepers worked a rota of six weeks on the rock and two weeks ashore.\n\nSupplies came by the tender Pharos from Hynish every fortnight.\n",
    ),
  });
  await page.getByLabel(/Title/).fill("Skerryvore keepers");
  await page.getByRole("button", { name: "Upload" }).click();
  await expect(page.getByTestId("knowledge-document").filter({ hasText: "Skerryvore keepers" })).toBeVisible();

  await submit(page, "Research the Skerryvore lighthouse keepers and their rota, then summarise it.");
  const research = page.getByTestId("step-research");
  const call = research.locator('[data-tool="search_knowledge"]');
  await expect(call).toBeVisible();
  await expect(call).toHaveAttribute("data-call-status", "succeeded");
  await call.locator("summary").click();
  await expect(call).toContainText("Skerryvore keepers");
  await expect(page.getByTestId("task-status")).toHaveText(/completed/, { timeout: 90_000 });

  const result = page.getByTestId("result");
  await expect(result).toContainText("Skerryvore keepers");
  const link = result.getByRole("link", { name: "Skerryvore keepers" });
  await expect(link).toHaveAttribute("href", /^\/knowledge\/[a-z0-9]+$/);
  await link.click();
  await expect(page.getByText("six weeks on the rock")).toBeVisible();
});

test("a tool the team flags waits for approval on the task page, then runs", async ({ page }) => {
  await signIn(page);
  await setApproval(page, true);
  try {
    await submit(page, "Research the Skerryvore lighthouse tender and write a short note.");
    const waiting = page.locator('[data-tool="search_knowledge"][data-call-status="awaiting_approval"]');
    await expect(waiting).toBeVisible();
    await expect(page.getByTestId("step-research")).toHaveAttribute("data-step-status", "awaiting_approval");
    await expect(waiting.getByLabel(/Input/)).toHaveValue(/"query"/);
    await waiting.getByRole("button", { name: "Approve call" }).click();
    await expect(page.locator('[data-tool="search_knowledge"]').first()).toHaveAttribute("data-call-status", "succeeded", {
      timeout: 60_000,
    });
    await expect(page.getByTestId("task-status")).toHaveText(/completed/, { timeout: 90_000 });
  } finally {
    await setApproval(page, false);
  }
});
