import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type Page } from "@playwright/test";
import { E2E_ADMIN } from "../../playwright.config";

/**
 * The model service in the browser: an admin adds an OpenAI-compatible provider with a key, tests
 * the key against a local server speaking OpenAI's `GET /v1/models`, and the page never shows the
 * key (only its last four characters); the usage page shows what earlier tasks spent.
 */

const KEY = `sk-e2e-${Date.now().toString(36)}-secret`;
let server: Server;
let baseUrl = "";

test.beforeAll(async () => {
  server = createServer((request, response) => {
    response.setHeader("content-type", "application/json");
    if (request.url === "/v1/models" && request.headers.authorization === `Bearer ${KEY}`) {
      response.end(JSON.stringify({ object: "list", data: [{ id: "e2e-model", object: "model", created: 0, owned_by: "e2e" }] }));
      return;
    }
    response.statusCode = 401;
    response.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${String(request.headers.authorization)}` } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
test.afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function signIn(page: Page) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tasks$/);
}

test("an admin adds a provider key and tests it; the page shows only its last four characters", async ({ page }) => {
  await signIn(page);
  await page.goto("/settings/models");
  const form = page.getByRole("form", { name: "Add a provider" });
  await form.getByLabel("Name").fill("e2e-gateway");
  await form.getByLabel("Kind").selectOption("openai-compatible");
  await form.getByLabel(/Base URL/).fill(baseUrl);
  await form.getByLabel(/API key/).fill(KEY);
  await form.getByRole("button", { name: "Add provider" }).click();

  const provider = page.getByRole("listitem").filter({ hasText: "e2e-gateway" });
  await expect(provider).toBeVisible();
  await expect(provider.getByLabel(`key ending in ${KEY.slice(-4)}`)).toBeVisible();
  await provider.getByRole("button", { name: "Test key" }).click();
  await expect(provider.getByRole("status")).toHaveText("Key works. Models: e2e-model");
  expect(await page.content()).not.toContain(KEY);

  await provider.getByRole("button", { name: "Delete…" }).click();
  await provider.getByRole("button", { name: "Yes, delete it" }).click();
  await expect(page.getByRole("listitem").filter({ hasText: "e2e-gateway" })).toHaveCount(0);
});

test("the usage page shows what the team's tasks spent", async ({ page }) => {
  await signIn(page);
  await page.goto("/usage");
  await expect(page.getByRole("heading", { name: "Usage", level: 1 })).toBeVisible();
  await expect(page.getByTestId("usage-total")).toBeVisible();
  await expect(page.getByTestId("usage-chart")).toBeVisible();
  // Earlier specs ran tasks on the offline model.
  await expect(page.getByTestId("usage-by-model")).toContainText("chorus-offline");
});

test("an admin sets a monthly budget and switches the response cache; a bad budget is refused by name", async ({ page }) => {
  await signIn(page);
  await page.goto("/settings/spending");
  await expect(page.getByRole("link", { name: "Spending" })).toHaveAttribute("aria-current", "page");
  const budgetSection = page.getByRole("region", { name: "Monthly budget" });
  const cacheSection = page.getByRole("region", { name: "Response cache" });
  const budget = budgetSection.getByRole("spinbutton", { name: /Monthly budget/ });
  await budget.fill("-5");
  await page.getByRole("button", { name: "Save budget" }).click();
  await expect(budgetSection.getByRole("alert")).toContainText("monthlyBudgetUsd must be more than 0");

  await budget.fill("25");
  await page.getByRole("button", { name: "Save budget" }).click();
  await expect(page.getByTestId("budget-spent")).toContainText("of $25.00");
  await expect(page.getByRole("progressbar", { name: "Share of the monthly budget spent" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("spinbutton", { name: /Monthly budget/ })).toHaveValue("25");

  // Cleared again, so later specs' tasks are not bounded by it.
  await page.getByRole("spinbutton", { name: /Monthly budget/ }).fill("");
  await page.getByRole("button", { name: "Save budget" }).click();
  await expect(page.getByTestId("budget-spent")).toContainText("no monthly budget");

  const cache = page.getByLabel("Answer identical model calls from the cache");
  await expect(cache).toBeChecked();
  await cache.uncheck();
  await page.getByRole("button", { name: "Save cache setting" }).click();
  await expect(cacheSection.getByRole("status")).toHaveText("Saved.");
  await page.reload();
  await expect(page.getByLabel("Answer identical model calls from the cache")).not.toBeChecked();
  await page.getByLabel("Answer identical model calls from the cache").check();
  await page.getByRole("button", { name: "Save cache setting" }).click();
  await expect(cacheSection.getByRole("status")).toHaveText("Saved.");
});
