import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../../playwright.config";

/**
 * The API reference page: a signed-in member opens it from the dashboard's footer and reads the
 * task routes, rendered by Swagger UI served from Chorus itself, under the pages' own
 * Content-Security-Policy — with nothing fetched from another host and no console error.
 */
test("a member opens the API reference and sees the task routes, with no console error", async ({ page, baseURL }) => {
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  const failed: string[] = [];
  page.on("response", (answer) => {
    if (answer.status() >= 400) failed.push(`${answer.status()} ${answer.url()}`);
  });
  const elsewhere: string[] = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(baseURL!) && !request.url().startsWith("data:")) elsewhere.push(request.url());
  });

  await page.goto("/signin");
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tasks$/);

  const [response] = await Promise.all([
    page.waitForResponse((candidate) => new URL(candidate.url()).pathname === "/api-reference"),
    page.getByRole("link", { name: "API reference" }).click(),
  ]);
  await expect(page).toHaveURL(/\/api-reference$/);
  // The page runs under the same policy as every other: scripts only by nonce, no eval.
  const policy = response.headers()["content-security-policy"] ?? "";
  expect(policy).toContain("'strict-dynamic'");
  expect(policy).not.toContain("unsafe-eval");

  await expect(page.getByRole("heading", { name: "API reference", level: 1 })).toBeVisible();
  for (const [method, path] of [
    ["post", "/api/v1/tasks"],
    ["get", "/api/v1/tasks"],
    ["get", "/api/v1/tasks/{id}"],
    ["post", "/api/v1/tasks/{id}/cancel"],
    ["post", "/api/v1/tasks/{id}/rerun"],
  ]) {
    await expect(page.locator(`.opblock-${method} .opblock-summary-path[data-path="${path}"]`)).toBeVisible();
  }
  // An operation opens to show what it takes.
  await page.locator('.opblock-post .opblock-summary-path[data-path="/api/v1/tasks"]').click();
  await expect(page.locator(".opblock-post.is-open").getByText("Submit a task")).toBeVisible();
  await expect(page.locator(".opblock-post.is-open").getByText("prompt").first()).toBeVisible();

  expect(failed).toEqual([]);
  expect(consoleErrors).toEqual([]);
  expect(elsewhere).toEqual([]);
});
