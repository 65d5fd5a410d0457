import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { E2E_ADMIN } from "../../playwright.config";

/**
 * Evals datasets in the browser (docs/evals.md#datasets): an admin creates a dataset, adds a case
 * with expectations, imports a small JSONL file, sees version 3 and the history (and an older
 * version as it was), then adds a finished task to the dataset from the task page and follows
 * the link to the new case. The pages pass axe's serious checks; any console error fails the test.
 */

async function signIn(page: Page) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tasks$/);
}

async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical");
  expect(serious.map((violation) => `${violation.id}: ${violation.help}`)).toEqual([]);
}

test("build a dataset by hand, by import and from a finished task, with its versions", async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  await signIn(page);

  await page.goto("/evals/datasets");
  await expect(page.getByRole("heading", { name: "Datasets", level: 1 })).toBeVisible();
  const create = page.getByRole("form", { name: "New dataset" });
  await create.getByLabel("Name").fill("Lighthouse questions");
  await create.getByLabel(/Description/).fill("What keepers should know");
  await create.getByRole("button", { name: "Create dataset" }).click();
  await expect(page).toHaveURL(/\/evals\/datasets\/[a-z0-9]+$/);
  await expect(page.getByRole("heading", { name: "Lighthouse questions", level: 1 })).toBeVisible();
  await expect(page.getByTestId("dataset-version")).toContainText("Version 1 (latest) · 0 cases");
  await expectAccessible(page);

  const add = page.getByRole("form", { name: "New case" });
  await add.getByLabel("Prompt").fill("How long was a keeper's rota at Skerryvore?");
  await add.getByLabel("Must contain").fill("six weeks\ntwo weeks");
  await add.getByLabel("Rubric").fill("States both numbers.");
  await add.getByLabel("Max tokens").fill("800");
  await add.getByRole("button", { name: "Add case" }).click();
  await expect(page.getByTestId("dataset-version")).toContainText("Version 2 (latest) · 1 case");
  const firstCase = page.getByRole("listitem").filter({ hasText: "How long was a keeper's rota" });
  await expect(firstCase).toContainText("six weeks · two weeks");
  await expect(firstCase).toContainText("≤ 800 tokens");

  const importForm = page.getByRole("form", { name: "Import cases" });
  await importForm.locator('input[type="file"]').setInputFiles({
    name: "cases.jsonl",
    mimeType: "application/x-ndjson",
    buffer: Buffer.from(
      [
        JSON.stringify({ key: "tender", prompt: "Which tender supplied Skerryvore?", expected: { contains: ["Pharos"] } }),
        JSON.stringify({ key: "base", prompt: "Where was the shore station?", expected: { contains: ["Hynish"] } }),
      ].join("\n"),
    ),
  });
  await importForm.getByRole("button", { name: "Import" }).click();
  await expect(importForm.getByRole("status")).toHaveText("Imported: version 3 holds 3 cases.");
  await expect(page.getByTestId("dataset-version")).toContainText("Version 3 (latest) · 3 cases");
  await expect(page.getByTestId("case-key")).toHaveText([/^c-[a-z0-9]{6}$/, "tender", "base"]);

  const history = page.getByTestId("version-history");
  await expect(history.getByRole("listitem")).toHaveCount(3);
  await expect(history.getByRole("listitem").first()).toContainText("Version 3 imported 2 cases");
  await expect(page.getByRole("link", { name: "Run an experiment" })).toHaveAttribute(
    "href",
    /\/evals\/experiments\/new\?dataset=[a-z0-9]+$/,
  );
  await expectAccessible(page);

  // An older version reads as it was, without editing.
  await history.getByRole("link", { name: "Version 2" }).click();
  await expect(page.getByTestId("dataset-version")).toContainText("Version 2 of 3 · 1 case");
  await expect(page.getByRole("form", { name: "New case" })).toHaveCount(0);

  // A finished task becomes a case of the dataset from its page.
  await page.goto("/tasks");
  await page.getByLabel("What should the agents work on?").fill("Research the Skerryvore lighthouse and summarise its history.");
  await page.getByRole("button", { name: "Run task" }).click();
  await expect(page).toHaveURL(/\/tasks\/[a-z0-9]+$/);
  const taskUrl = page.url();
  await expect(page.getByTestId("task-status")).toHaveText(/completed/, { timeout: 90_000 });
  // The button is drawn for a task that has a result: the page as loaded after it finished.
  await page.goto(taskUrl);
  await page.getByRole("button", { name: "Add to dataset…" }).click();
  const dialog = page.getByRole("region", { name: "Add this task to an evals dataset" });
  await dialog.getByLabel("Dataset", { exact: true }).selectOption({ label: "Lighthouse questions (3 cases)" });
  await dialog.getByLabel(/Must contain/).fill("Skerryvore");
  await dialog.getByRole("button", { name: "Add case" }).click();
  await expect(dialog.getByRole("status")).toContainText("of “Lighthouse questions” (version 4)");
  await expectAccessible(page);
  await dialog.getByRole("status").getByRole("link").click();
  await expect(page.getByTestId("dataset-version")).toContainText("Version 4 (latest) · 4 cases");
  const fromTask = page.getByRole("listitem").filter({ hasText: "Research the Skerryvore lighthouse and summarise" });
  await expect(fromTask).toContainText("from a task");
  await expect(fromTask).toContainText("Reference");
  expect(consoleErrors).toEqual([]);
});
