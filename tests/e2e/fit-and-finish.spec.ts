import { readFileSync } from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { expect, test as base, type APIRequestContext, type Page } from "@playwright/test";
import { E2E_ADMIN, E2E_DATA_DIR } from "../../playwright.config";
import { createApiKeyWithCli, waitForTask } from "./support";

/**
 * The dashboard's fit and finish in a real browser (#21 §2, §5): the task page's result with
 * Copy and Download, confirmations on cancel and reject, Ctrl+Enter, a tab title naming the task,
 * the plan and Approve drawn from stored data while the event stream is blocked; themes (the
 * system's by default, a saved choice that survives a reload), the skip link, the 404 page; and
 * an axe sweep of every dashboard page in light and dark mode with no serious or critical
 * violation. With UPDATE_SCREENSHOTS=1 it saves the README's screenshots on the way. Any
 * console error fails a test.
 */

/** Pages this spec opens on purpose to get a 404: the browser logs their status as an error. */
const deliberately404 = /\/no-such-page$|\/tasks\/z+$/;

const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() !== "error") return;
        if (/status of 404/.test(message.text()) && deliberately404.test(message.location().url)) return;
        errors.push(`${message.text()} (${message.location().url})`);
      });
      page.on("pageerror", (error) => errors.push(`${error.message} (${page.url()})`));
      await use(errors);
      expect(errors, "no console errors").toEqual([]);
    },
    { auto: true },
  ],
});

let adminKey: string;
test.beforeAll(() => {
  adminKey = createApiKeyWithCli(E2E_DATA_DIR, "e2e-team", "admin");
});

async function signIn(page: Page) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tasks$/);
}

async function createTask(request: APIRequestContext, prompt: string, requireApproval: boolean): Promise<string> {
  const response = await request.post("/api/v1/tasks", {
    headers: { Authorization: `Bearer ${adminKey}` },
    data: { prompt, requireApproval },
  });
  expect(response.status()).toBe(201);
  return (await response.json()).id as string;
}

async function awaitingTask(request: APIRequestContext, baseURL: string, prompt: string): Promise<string> {
  const id = await createTask(request, prompt, true);
  await waitForTask(request, baseURL, adminKey, id, (task) => task.status === "awaiting_approval");
  return id;
}

test("an awaiting task shows its plan and Approve from stored data while its event stream is blocked", async ({
  page,
  request,
  baseURL,
}) => {
  const id = await awaitingTask(request, baseURL!, "Research community solar in Portugal, analyse the costs, and write a brief.");
  const stored = await (await request.get(`/api/v1/tasks/${id}`, { headers: { Authorization: `Bearer ${adminKey}` } })).json();
  // Waiting for a person is not a running clock.
  expect(stored.durationMs).toBeNull();

  await signIn(page);
  // The stream never answers: everything below comes from the page's first render.
  await page.route(/\/events(\?|$)/, () => undefined);
  await page.goto(`/tasks/${id}`);
  await expect(page.getByTestId("task-status")).toHaveText(/awaiting approval/);
  await expect(page.getByTestId("plan").locator(":scope > li")).toHaveCount(stored.plan.steps.length);
  await expect(page.getByRole("button", { name: "Approve plan" })).toBeVisible();
  // Submitted through the API: the key is named.
  await expect(page.getByTestId("task-submitter")).toContainText("API key “e2e admin”");
  await expect(page.getByTestId("task-finished")).toHaveText("not yet");
  await expect(page.getByText(/tokens · /)).toHaveCount(0);

  // Cancel asks first; Escape takes the question back and returns focus to the button.
  await page.getByRole("button", { name: "Cancel task" }).click();
  const question = page.getByRole("alertdialog", { name: "Cancel this task?" });
  await expect(question).toBeVisible();
  await expect(page.getByRole("button", { name: "Yes, cancel task" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(question).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Cancel task" })).toBeFocused();
  const still = await (await request.get(`/api/v1/tasks/${id}`, { headers: { Authorization: `Bearer ${adminKey}` } })).json();
  expect(still.status).toBe("awaiting_approval");
});

test("rejecting asks first; a rerun of the rejected plan promises no reused steps", async ({ page, request, baseURL }) => {
  const id = await awaitingTask(request, baseURL!, "Research tiny houses in Norway, analyse zoning rules, and write a brief.");
  await signIn(page);
  await page.goto(`/tasks/${id}`);
  const panel = page.getByTestId("approval-panel");
  await panel.getByRole("button", { name: "Reject plan" }).click();
  await panel.getByRole("button", { name: "Keep the plan" }).click();
  await expect(panel.getByRole("alertdialog")).toHaveCount(0);
  await expect(page.getByTestId("task-status")).toHaveText(/awaiting approval/);

  await panel.getByRole("button", { name: "Reject plan" }).click();
  await expect(panel.getByRole("alertdialog", { name: "Reject this plan?" })).toBeVisible();
  await panel.getByRole("button", { name: "Yes, reject plan" }).click();
  await expect(page.getByTestId("task-status")).toHaveText(/cancelled/);
  await expect(page.getByTestId("task-finished")).not.toHaveText("not yet");

  const last = page.getByTestId("plan").locator(":scope > li").last();
  await last.getByRole("button", { name: "Rerun from this step…" }).click();
  await expect(last.getByTestId("rerun-reuse")).toHaveText("Every step runs again: no earlier output is reused.");
});

test("Ctrl+Enter approves an edited plan", async ({ page, request, baseURL }) => {
  const id = await awaitingTask(request, baseURL!, "Research urban beekeeping, analyse its risks, and write a brief.");
  await signIn(page);
  await page.goto(`/tasks/${id}`);
  await page.getByRole("button", { name: "Edit plan" }).click();
  const field = page.getByTestId("approval-panel").getByRole("textbox").first();
  await field.fill("Gather the facts about urban beekeeping in Berlin only.");
  await field.press("Control+Enter");
  await waitForTask(request, baseURL!, adminKey, id, (task) => task.status !== "awaiting_approval");
  await expect(page.getByTestId("approval-panel")).toHaveCount(0);
});

test("Ctrl+Enter submits a task; its tab names it; its result comes first, copied and downloaded as Markdown", async ({
  page,
  context,
  request,
  baseURL,
}) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await signIn(page);
  const prompt = "Compare three CRM products (HubSpot, Pipedrive, Salesforce) for a 10-person sales team";
  await page.getByLabel("What should the agents work on?").fill(prompt);
  await page.getByLabel("What should the agents work on?").press("Control+Enter");
  await expect(page).toHaveURL(/\/tasks\/[a-z0-9]+$/);
  const id = new URL(page.url()).pathname.split("/").at(-1)!;
  await expect(page).toHaveTitle("Task: Compare three CRM products (HubSpot, Pipedrive, Salesforce)… · Chorus");

  // The default plan names each product in a clean step id.
  for (const product of ["hubspot", "pipedrive", "salesforce"]) await expect(page.getByTestId(`step-research-${product}`)).toBeVisible();

  const result = page.getByTestId("result");
  await expect(result).toBeVisible({ timeout: 90_000 });
  const stored = await waitForTask(request, baseURL!, adminKey, id, (task) => task.status === "completed");
  const markdown = stored.result.markdown as string;
  // The result sits above the plan.
  expect(await result.evaluate((node) => Boolean(node.compareDocumentPosition(document.querySelector('[data-testid="plan"]')!) & 4))).toBe(
    true,
  );
  await expect(page.getByTestId("task-finished")).toContainText("UTC");
  await expect(page.getByTestId("task-submitter")).toContainText(E2E_ADMIN.email);

  await result.getByRole("button", { name: "Copy" }).click();
  await expect(result.getByRole("status")).toHaveText("Copied to the clipboard.");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(markdown);

  const downloading = page.waitForEvent("download");
  await result.getByRole("button", { name: "Download .md" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(`chorus-task-${id}.md`);
  expect(readFileSync((await download.path())!, "utf8")).toBe(markdown);
});

test("the skip link is the first stop and jumps to the content; unknown pages get Chorus's 404 with a way back", async ({ page }) => {
  await signIn(page);
  await page.goto("/tasks");
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to content" });
  await expect(skip).toBeFocused();
  await expect(skip).toBeVisible();
  await page.keyboard.press("Enter");
  await expect(page.locator("main#main")).toBeFocused();

  const missing = await page.goto("/no-such-page");
  expect(missing!.status()).toBe(404);
  await expect(page).toHaveTitle("Page not found · Chorus");
  await expect(page.getByRole("heading", { name: "This page is not here" })).toBeVisible();
  await page.getByRole("link", { name: "Back to your tasks" }).click();
  await expect(page).toHaveURL(/\/tasks$/);

  const missingTask = await page.goto("/tasks/zzzzzzzzzzzzzzzzzzzzzzzz");
  expect(missingTask!.status()).toBe(404);
  await expect(page.getByTestId("not-found")).toBeVisible();
});

test("the theme follows the system until one is chosen, and the choice survives a reload", async ({ page }) => {
  await page.emulateMedia({ colorScheme: "dark" });
  await signIn(page);
  await page.goto("/settings");
  const html = page.locator("html");
  await expect(html).toHaveClass(/\bdark\b/);

  await page.emulateMedia({ colorScheme: "light" });
  await page.reload();
  await expect(html).not.toHaveClass(/\bdark\b/);
  await page.getByLabel("Theme").selectOption("dark");
  await expect(html).toHaveClass(/\bdark\b/);
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await page.reload();
  // Dark from the first paint: the class is there before any script of the app has run.
  await expect(html).toHaveClass(/\bdark\b/);
  await expect(page.getByLabel("Theme")).toHaveValue("dark");
  expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(background);

  await page.getByLabel("Theme").selectOption("light");
  await page.emulateMedia({ colorScheme: "dark" });
  await page.reload();
  await expect(html).not.toHaveClass(/\bdark\b/);
  await page.getByLabel("Theme").selectOption("system");
  await expect(html).toHaveClass(/\bdark\b/);
});

/** `UPDATE_SCREENSHOTS=1` saves the README's screenshots; other runs leave the committed ones alone. */
const saveScreenshots = process.env.UPDATE_SCREENSHOTS === "1";

/** Serious and critical accessibility violations on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id}: ${violation.help} — ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`);
}

test("every dashboard page has no serious or critical accessibility violation, in light and dark mode", async ({
  page,
  browser,
  request,
  baseURL,
}) => {
  test.setTimeout(300_000);
  const taskId = await createTask(request, "Research heat pumps for old houses, analyse the costs, and write a short brief.", false);
  await waitForTask(request, baseURL!, adminKey, taskId, (task) => task.status === "completed");
  await signIn(page);

  const pages: Array<{ path: string; ready: (page: Page) => Promise<void>; screenshot?: string }> = [
    { path: "/tasks", ready: (p) => expect(p.getByLabel("What should the agents work on?")).toBeVisible(), screenshot: "tasks" },
    { path: `/tasks/${taskId}`, ready: (p) => expect(p.getByTestId("result")).toBeVisible(), screenshot: "task" },
    { path: "/overview", ready: (p) => expect(p.getByRole("heading", { name: "Overview" })).toBeVisible(), screenshot: "overview" },
    { path: "/usage", ready: (p) => expect(p.getByRole("heading").first()).toBeVisible(), screenshot: "usage" },
    { path: "/knowledge", ready: (p) => expect(p.getByRole("heading").first()).toBeVisible() },
    { path: "/settings", ready: (p) => expect(p.getByRole("heading").first()).toBeVisible() },
    { path: "/settings/members", ready: (p) => expect(p.getByRole("heading").first()).toBeVisible(), screenshot: "settings-members" },
    { path: "/settings/api-keys", ready: (p) => expect(p.getByRole("heading").first()).toBeVisible() },
    { path: "/settings/agents", ready: (p) => expect(p.getByRole("heading").first()).toBeVisible() },
    { path: "/settings/models", ready: (p) => expect(p.getByRole("heading").first()).toBeVisible() },
    { path: "/settings/tools", ready: (p) => expect(p.getByRole("heading").first()).toBeVisible() },
    { path: "/settings/spending", ready: (p) => expect(p.getByRole("heading").first()).toBeVisible() },
    { path: "/settings/webhooks", ready: (p) => expect(p.getByRole("heading").first()).toBeVisible() },
    { path: "/settings/audit", ready: (p) => expect(p.getByRole("heading").first()).toBeVisible() },
    { path: "/no-such-page", ready: (p) => expect(p.getByTestId("not-found")).toBeVisible() },
  ];

  const found: string[] = [];
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    for (const entry of pages) {
      await page.goto(entry.path);
      await entry.ready(page);
      await expect(page.locator("html")).toHaveClass(colorScheme === "dark" ? /\bdark\b/ : /^(?!.*\bdark\b)/);
      found.push(...(await seriousViolations(page)).map((violation) => `${entry.path} (${colorScheme}) ${violation}`));
      if (entry.screenshot && saveScreenshots) await page.screenshot({ path: `docs/screenshots/${entry.screenshot}-${colorScheme}.png` });
    }

    // Signed out: the sign-in page.
    const signedOutContext = await browser.newContext({ colorScheme });
    const signedOut = await signedOutContext.newPage();
    const signedOutErrors: string[] = [];
    signedOut.on("console", (message) => {
      if (message.type() === "error") signedOutErrors.push(message.text());
    });
    await signedOut.goto(`${baseURL}/signin`);
    await expect(signedOut.getByRole("button", { name: "Sign in" })).toBeVisible();
    found.push(...(await seriousViolations(signedOut)).map((violation) => `/signin (${colorScheme}) ${violation}`));
    if (saveScreenshots) await signedOut.screenshot({ path: `docs/screenshots/signin-${colorScheme}.png` });
    await signedOutContext.close();
    expect(signedOutErrors).toEqual([]);
  }
  expect(found).toEqual([]);
});
