import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../../playwright.config";

/**
 * The audit log in the browser: an admin changes a setting, finds it (and their own sign-in) in
 * Settings → Audit log, narrows the log to settings changes, and downloads the filtered export.
 * Any console error fails the test.
 */
test("an admin changes a setting, sees it in the audit log, filters it and downloads the export", async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));

  await page.goto("/signin");
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tasks$/);

  await page.goto("/settings/tools");
  const webSearch = page.getByRole("checkbox", { name: /web_search/ });
  await webSearch.setChecked(!(await webSearch.isChecked()));
  await page.getByRole("button", { name: "Save approvals" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();

  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Audit log" }).click();
  await expect(page).toHaveURL(/\/settings\/audit$/);
  const log = page.getByTestId("audit-log");
  const change = log.getByRole("row").filter({ hasText: "settings.tool_approvals_updated" });
  await expect(change).toHaveCount(1);
  await expect(change).toContainText(E2E_ADMIN.email);
  await expect(change).toContainText("web_search");
  await expect(log.getByRole("row").filter({ hasText: "auth.sign_in" }).first()).toBeVisible();

  await page.getByLabel("Action").fill("settings.");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(log.getByRole("row").filter({ hasText: "auth.sign_in" })).toHaveCount(0);
  await expect(log.getByRole("row").filter({ hasText: "settings.tool_approvals_updated" })).toHaveCount(1);

  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "CSV" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^audit-log-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = await readFile((await download.path())!, "utf8");
  const lines = csv.split("\r\n").filter(Boolean);
  expect(lines[0]).toBe("createdAt,action,actorType,actorId,actorName,targetType,targetId,details,ipAddress,userAgent");
  expect(lines.slice(1).every((line) => line.split(",")[1]!.startsWith("settings."))).toBe(true);
  expect(lines.some((line) => line.includes("settings.tool_approvals_updated") && line.includes(E2E_ADMIN.email))).toBe(true);

  expect(consoleErrors).toEqual([]);
});
