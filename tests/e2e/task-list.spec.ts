import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { E2E_ADMIN, E2E_DATA_DIR } from "../../playwright.config";
import { createApiKeyWithCli } from "./support";

/**
 * The task list (#21 §1, docs/dashboard.md) in a real browser: search, filters, "Load more" past
 * the first 50, bulk cancel with a confirmation, a row updated live by the team stream, and the
 * phone layout's cards — with no console error (a hydration mismatch is one).
 */
let key: string;

test.beforeAll(() => {
  key = createApiKeyWithCli(E2E_DATA_DIR, "e2e-team", "user");
});

async function signIn(page: Page) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tasks$/);
}

/** A task that stops at its plan (needs approval): cheap to make, and active until cancelled. */
async function submitWaitingTask(request: APIRequestContext, prompt: string): Promise<string> {
  const response = await request.post("/api/v1/tasks", {
    headers: { Authorization: `Bearer ${key}` },
    data: { prompt, requireApproval: true },
  });
  expect(response.status()).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

function collectConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

const tableRows = (page: Page) => page.getByTestId("task-list").locator("tbody tr");

test("search, filter, load more, bulk cancel, live rows and the phone layout, with no console error", async ({ page, request }) => {
  test.setTimeout(300_000);
  const consoleErrors = collectConsoleErrors(page);
  const ids: string[] = [];
  for (let start = 0; start < 52; start += 4) {
    ids.push(
      ...(await Promise.all([0, 1, 2, 3].map((offset) => submitWaitingTask(request, `Lighthouse survey number ${start + offset}`)))),
    );
  }
  const orchard = await submitWaitingTask(request, "Plan the irrigation of a small apple orchard");

  await signIn(page);
  await expect(page.getByTestId("stream-state")).toHaveText("Live");

  // Load more: the first page holds 50; the rest are reachable.
  await expect(tableRows(page)).toHaveCount(50);
  await page.getByRole("button", { name: "Load more" }).click();
  await expect.poll(async () => tableRows(page).count()).toBeGreaterThanOrEqual(53);
  await expect(page.getByRole("button", { name: "Load more" })).toHaveCount(0);

  // Search (stemmed: "irrigating" finds "irrigation").
  await page.getByLabel("Search prompts and results").fill("irrigating orchards");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(tableRows(page)).toHaveCount(1);
  await expect(tableRows(page).first()).toHaveAttribute("data-task-id", orchard);
  await expect(tableRows(page).first()).toContainText("API key: ");

  // Filters: a status that none has yields the empty state; awaiting approval lists them.
  await page.getByRole("button", { name: "Clear" }).click();
  await page.getByRole("checkbox", { name: "budget exceeded", exact: true }).check();
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByText("No tasks match these filters.")).toBeVisible();
  await page.getByRole("checkbox", { name: "budget exceeded", exact: true }).uncheck();
  await page.getByRole("checkbox", { name: "awaiting approval", exact: true }).check();
  await page.getByLabel("Search prompts and results").fill("lighthouse");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(tableRows(page)).toHaveCount(50);
  await expect(tableRows(page).filter({ hasNotText: "awaiting approval" })).toHaveCount(0);
  await expect(tableRows(page).filter({ hasText: "orchard" })).toHaveCount(0);

  // Bulk cancel, after a confirmation.
  await page.getByRole("button", { name: "Clear" }).click();
  const firstTwo = [ids.at(-1)!, ids.at(-2)!];
  for (const id of firstTwo) await page.locator(`tr[data-task-id="${id}"]`).getByRole("checkbox").check();
  await page.getByRole("button", { name: "Cancel selected" }).click();
  const dialog = page.getByRole("alertdialog");
  await expect(dialog).toContainText("Cancel 2 tasks?");
  await dialog.getByRole("button", { name: "Keep them" }).click();
  await expect(page.locator(`tr[data-task-id="${firstTwo[0]}"]`)).toContainText("awaiting approval");
  await page.getByRole("button", { name: "Cancel selected" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Yes, cancel 2" }).click();
  for (const id of firstTwo) await expect(page.locator(`tr[data-task-id="${id}"]`)).toContainText("cancelled");

  // A change made elsewhere (the API) reaches the open list through the team stream: no reload,
  // and the list's only re-read while the stream is up is the one an event triggers.
  const changedElsewhere = ids[10]!;
  const cancelled = await request.post(`/api/v1/tasks/${changedElsewhere}/cancel`, { headers: { Authorization: `Bearer ${key}` } });
  expect(cancelled.status()).toBe(200);
  await expect(page.locator(`tr[data-task-id="${changedElsewhere}"]`)).toContainText("cancelled", { timeout: 10_000 });
  const fresh = await submitWaitingTask(request, "A task submitted while the list is open");
  await expect(page.locator(`tr[data-task-id="${fresh}"]`)).toBeVisible({ timeout: 10_000 });

  // The phone layout: cards, with Created and Duration inside the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByTestId("task-list")).toBeHidden();
  const card = page.getByTestId("task-cards").locator(`li[data-task-id="${orchard}"]`);
  await expect(card).toBeVisible();
  for (const label of ["Created", "Duration"]) {
    const term = card.getByText(label, { exact: true });
    await expect(term).toBeVisible();
    const box = (await term.locator("xpath=following-sibling::dd[1]").boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(390);
  }
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

  expect(consoleErrors).toEqual([]);
});
