import AxeBuilder from "@axe-core/playwright";
import { expect, test as base, type Page } from "@playwright/test";
import { E2E_ADMIN, E2E_DATA_DIR } from "../../playwright.config";
import { createApiKeyWithCli, waitForTask } from "./support";

/**
 * The task page's insight (#21 §2) and the Overview (#21 §3) in a real browser: the plan as a
 * graph whose nodes open each step's details (input, upstream steps, model, tokens), the timeline
 * whose running bar grows while the page watches, then the Overview's charts with the same
 * numbers the API gives; an axe check of both pages in dark mode at phone width. With
 * UPDATE_SCREENSHOTS=1 it saves the README's screenshots of the task list, the task page, the
 * Overview and a settings page. Any console error fails a test.
 */

const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(`${message.text()} (${message.location().url})`);
      });
      page.on("pageerror", (error) => errors.push(`${error.message} (${page.url()})`));
      await use(errors);
      expect(errors, "no console errors").toEqual([]);
    },
    { auto: true },
  ],
});

test.describe.configure({ mode: "serial" });

let adminKey: string;
let taskId: string;
test.beforeAll(() => {
  adminKey = createApiKeyWithCli(E2E_DATA_DIR, "e2e-team", "admin");
});

const saveScreenshots = process.env.UPDATE_SCREENSHOTS === "1";

async function signIn(page: Page) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tasks$/);
}

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id}: ${violation.help} — ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`);
}

test("the task page draws the plan as a graph, a live timeline, and each step's details", async ({ page, request, baseURL }) => {
  const created = await request.post("/api/v1/tasks", {
    headers: { Authorization: `Bearer ${adminKey}` },
    // Not from the response cache: other specs ran this prompt already, and cached steps finish before a bar can be seen running.
    data: { prompt: "Research how community gardens reduce food costs, then analyse and summarise.", requireApproval: true, cache: false },
  });
  expect(created.status()).toBe(201);
  taskId = (await created.json()).id as string;
  const planned = await waitForTask(request, baseURL!, adminKey, taskId, (task) => task.status === "awaiting_approval");
  const steps = planned.plan.steps as Array<{ id: string; agent: string; subtask: string; dependsOn: string[] }>;
  expect(steps.length).toBeGreaterThan(1);

  await signIn(page);
  await page.goto(`/tasks/${taskId}`);
  // The graph, from the stored plan: a node per step, an arrow per dependency, nothing run yet.
  const graph = page.getByTestId("plan-graph");
  for (const step of steps) await expect(graph.getByTestId(`graph-node-${step.id}`)).toHaveAttribute("data-step-status", "queued");
  const dependencies = steps.flatMap((step) => step.dependsOn.map((dependency) => `${dependency}->${step.id}`));
  expect(dependencies.length).toBeGreaterThan(0);
  for (const edge of dependencies) await expect(graph.locator(`[data-edge="${edge}"]`)).toHaveCount(1);
  // A step that waits for another is drawn to its right.
  const dependent = steps.find((step) => step.dependsOn.length > 0)!;
  const left = (await graph.getByTestId(`graph-node-${dependent.dependsOn[0]}`).boundingBox())!.x;
  expect((await graph.getByTestId(`graph-node-${dependent.id}`).boundingBox())!.x).toBeGreaterThan(left);
  await expect(page.getByTestId("timeline")).toHaveCount(0);

  await page.getByTestId("approval-panel").getByRole("button", { name: "Approve plan" }).click();

  // Live: a running attempt's bar appears and grows on the page's clock.
  const running = page.getByTestId("timeline").locator('li[data-status="running"]').first();
  await expect(running).toBeVisible({ timeout: 30_000 });
  const testId = (await running.getAttribute("data-testid"))!;
  const bar = page.getByTestId(testId);
  const first = Number(await bar.getAttribute("data-duration-ms"));
  await expect.poll(async () => Number(await bar.getAttribute("data-duration-ms"))).toBeGreaterThan(first);

  await expect(page.getByTestId("task-status")).toHaveText(/completed/, { timeout: 90_000 });
  await expect(page.getByTestId("result")).toBeVisible();
  for (const step of steps) {
    await expect(graph.getByTestId(`graph-node-${step.id}`)).toHaveAttribute("data-step-status", "completed");
    await expect(page.getByTestId(`timeline-bar-${step.id}-1`)).toHaveAttribute("data-status", "completed");
  }

  // A node is a link: focused and activated by keyboard, it opens that step's details.
  const stored = await waitForTask(request, baseURL!, adminKey, taskId, (task) => task.status === "completed");
  const execution = stored.executions.find((candidate: { stepId: string }) => candidate.stepId === dependent.id);
  await graph.getByTestId(`graph-node-${dependent.id}`).focus();
  await page.keyboard.press("Enter");
  const details = page.getByTestId(`step-details-${dependent.id}`);
  await expect(details).toHaveAttribute("open", "");
  await expect(page).toHaveURL(new RegExp(`#step-${dependent.id}$`));
  await expect(details.getByTestId("step-input")).toHaveText(dependent.subtask);
  for (const upstream of dependent.dependsOn)
    await expect(details.getByTestId("step-upstream").getByRole("link", { name: upstream })).toBeVisible();
  await expect(details.getByTestId("step-model")).toHaveText(execution.modelId);
  await expect(details.getByTestId("step-tokens")).toHaveText(
    (execution.usage.inputTokens + execution.usage.outputTokens).toLocaleString("en-US"),
  );
  await expect(details.getByTestId("step-attempt-1")).toContainText("completed");

  // The same page after a reload, from stored data only: graph, timeline and details.
  await page.reload();
  await expect(page.getByTestId(`timeline-bar-${dependent.id}-1`)).toHaveAttribute("data-status", "completed");
  await expect(page.getByTestId(`timeline-bar-${dependent.id}-1`)).toHaveAttribute(
    "data-duration-ms",
    String(Date.parse(execution.completedAt) - Date.parse(execution.startedAt)),
  );
});

test("the Overview charts the team's tasks, durations, usage and cache hits with the API's numbers", async ({ page, request }) => {
  expect(taskId, "the task page's test ran first").toBeTruthy();
  const answer = await request.get("/api/v1/overview?days=14", { headers: { Authorization: `Bearer ${adminKey}` } });
  expect(answer.status()).toBe(200);
  const overview = await answer.json();
  const tasks = await (await request.get("/api/v1/tasks", { headers: { Authorization: `Bearer ${adminKey}` } })).json();
  const today = new Date().toISOString().slice(0, 10);
  expect(overview.totals.tasks).toBe(tasks.tasks.length);
  const tokens = tasks.tasks.reduce(
    (sum: number, task: { usage: { inputTokens: number; outputTokens: number } }) => sum + task.usage.inputTokens + task.usage.outputTokens,
    0,
  );
  expect(overview.totals.tokens).toBe(tokens);

  await signIn(page);
  await page.getByRole("link", { name: "Overview" }).click();
  await expect(page).toHaveURL(/\/overview$/);
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await expect(page.getByTestId("total-tasks")).toHaveText(String(overview.totals.tasks));
  await expect(page.getByTestId("total-tokens")).toHaveText(overview.totals.tokens.toLocaleString("en"));
  // Each chart drew its marks: bars, or the cache hit rate's points.
  const marks = {
    "chart-tasks-per-day": ".recharts-bar-rectangle",
    "chart-agent-duration": ".recharts-bar-rectangle",
    "chart-usage-per-day": ".recharts-bar-rectangle",
    "chart-cache-hit-rate": ".recharts-line-dot",
  };
  for (const [chart, mark] of Object.entries(marks)) {
    await expect(page.getByTestId(chart).locator(mark).first()).toBeVisible();
    await expect(page.getByTestId(chart).locator("div[role=img]")).toHaveAttribute("aria-label", /\S/);
  }
  const todayTasks = overview.tasksPerDay.find((day: { day: string }) => day.day === today);
  const row = page.getByTestId("table-tasks-per-day").locator(`tr[data-day="${today}"]`);
  await expect(row.locator('td[data-status="completed"]')).toHaveText(String(todayTasks.completed));
  await expect(row.locator('td[data-status="total"]')).toHaveText(String(todayTasks.total));
  for (const agent of overview.durationByAgent as Array<{ agent: string; executions: number }>)
    await expect(
      page.getByTestId("table-agent-duration").locator(`tr[data-agent="${agent.agent}"] td[data-column="executions"]`),
    ).toHaveText(String(agent.executions));
  const todayUsage = overview.usagePerDay.find((day: { day: string }) => day.day === today);
  await expect(page.getByTestId("table-usage-per-day").locator(`tr[data-day="${today}"] td[data-column="tokens"]`)).toHaveText(
    String(todayUsage.inputTokens + todayUsage.outputTokens),
  );
  await expect(page.getByTestId("table-cache-hit-rate").locator(`tr[data-day="${today}"] td[data-column="calls"]`)).toHaveText(
    String(todayUsage.calls),
  );

  await page.getByRole("link", { name: "30 days" }).click();
  await expect(page).toHaveURL(/\/overview\?days=30$/);
  await expect(page.getByTestId("table-tasks-per-day").locator("tbody tr")).toHaveCount(30);
});

test("the task page and the Overview read well in dark mode on a phone, with no serious accessibility violation", async ({ page }) => {
  expect(taskId, "the task page's test ran first").toBeTruthy();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: "dark" });
  await signIn(page);
  const found: string[] = [];
  for (const path of [`/tasks/${taskId}`, "/overview"]) {
    await page.goto(path);
    await expect(page.locator("html")).toHaveClass(/\bdark\b/);
    if (path === "/overview")
      await expect(page.getByTestId("chart-tasks-per-day").locator(".recharts-bar-rectangle").first()).toBeVisible();
    else await expect(page.getByTestId("timeline")).toBeVisible();
    // Nothing wider than the phone but the graph, which scrolls in its own box.
    const wide = await page.evaluate(() => {
      const limit = window.innerWidth + 1;
      // Clipped inside a box that fits (a truncated line, a box that scrolls) is not wider than the phone.
      const clipped = (element: Element | null) => {
        for (let box = element; box && box !== document.body; box = box.parentElement) {
          if (getComputedStyle(box).overflowX !== "visible" && box.getBoundingClientRect().right <= limit) return true;
        }
        return false;
      };
      const outside = (node: Node) => {
        const element = node instanceof Element ? node : node.parentElement;
        return !element?.closest('[data-testid="plan-graph"], .sr-only') && !clipped(node.parentElement);
      };
      const elements = [...document.querySelectorAll("body *")]
        .filter((element) => element.getBoundingClientRect().right > limit && outside(element))
        .map((element) => `${element.tagName.toLowerCase()}.${String(element.className).slice(0, 60)}`);
      const texts: string[] = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(node);
        if (range.getBoundingClientRect().right > limit && outside(node))
          texts.push(
            `text in ${node.parentElement?.tagName.toLowerCase()}.${String(node.parentElement?.className).slice(0, 40)}: ${node.textContent?.slice(0, 40)}`,
          );
      }
      return [...elements, ...texts].slice(0, 8);
    });
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    expect({ wide, fits: scrollWidth <= 390, scrollWidth }, `${path}: nothing wider than the phone`).toMatchObject({
      wide: [],
      fits: true,
    });
    found.push(...(await seriousViolations(page)).map((violation) => `${path} ${violation}`));
  }
  expect(found).toEqual([]);
});

test("screenshots of the main pages, light and dark (saved with UPDATE_SCREENSHOTS=1)", async ({ page }) => {
  test.skip(!saveScreenshots, "only when refreshing the README's screenshots");
  expect(taskId, "the task page's test ran first").toBeTruthy();
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page);
  const pages = [
    { path: "/tasks", name: "tasks", ready: () => expect(page.getByLabel("What should the agents work on?")).toBeVisible() },
    { path: `/tasks/${taskId}`, name: "task", ready: () => expect(page.getByTestId("timeline")).toBeVisible() },
    {
      path: "/overview",
      name: "overview",
      ready: () => expect(page.getByTestId("chart-tasks-per-day").locator(".recharts-bar-rectangle").first()).toBeVisible(),
    },
    { path: "/settings/members", name: "settings-members", ready: () => expect(page.getByRole("heading").first()).toBeVisible() },
  ];
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    for (const entry of pages) {
      await page.goto(entry.path);
      await entry.ready();
      await page.screenshot({ path: `docs/screenshots/${entry.name}-${colorScheme}.png`, fullPage: entry.name === "task" });
    }
  }
});
