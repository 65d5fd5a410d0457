import AxeBuilder from "@axe-core/playwright";
import { expect, test as base, type Page } from "@playwright/test";
import { E2E_ADMIN } from "../../playwright.config";

/**
 * Evals in a real browser (#24 §6), on the offline model: a task run from the task form becomes
 * a dataset's first case (its result the reference), a second case is added, an experiment runs
 * from the run form and is watched to the end, a second one runs with a different configuration
 * (tools off, the `contains` scorer weighted 0), and the two are compared — the changed case
 * listed with its score change, its two outputs diffed. Axe checks of the new pages in light and
 * dark mode, the compare page at phone width; with UPDATE_SCREENSHOTS=1 it saves the docs'
 * screenshots. Any console error fails a test.
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

const saveScreenshots = process.env.UPDATE_SCREENSHOTS === "1";
const suffix = Date.now().toString(36);
const DATASET = `e2e-evals-${suffix}`;
/** A fact the offline model's answer won't hold: the first experiment fails it, the second weighs it 0. */
const MISSING_FACT = `zz-not-in-any-answer-${suffix}`;

let datasetId = "";
let baselineId = "";
let candidateId = "";

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

/** Fills the run form and starts the experiment; answers its id once its page is open. */
async function runExperiment(page: Page, name: string, configure: (form: ReturnType<Page["getByRole"]>) => Promise<void> = async () => {}) {
  await page.goto("/evals");
  await page
    .getByTestId("evals-datasets")
    .locator(`tr[data-dataset="${DATASET}"]`)
    .getByRole("link", { name: /Run an experiment/ })
    .click();
  await expect(page).toHaveURL(new RegExp(`/evals/experiments/new\\?dataset=${datasetId}$`));
  const form = page.getByRole("form", { name: `Run an experiment on ${DATASET}` });
  await form.getByLabel("Name (optional)").fill(name);
  await expect(form.getByLabel("Use the response cache")).not.toBeChecked();
  await configure(form);
  await form.getByRole("button", { name: "Run experiment" }).click();
  await expect(page).toHaveURL(/\/evals\/experiments\/[a-z0-9]+$/);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  // Live: the page re-reads the experiment until it ends, without a reload.
  await expect(page.getByTestId("experiment-status")).toHaveText("completed", { timeout: 90_000 });
  await expect(page.getByTestId("experiment-progress")).toContainText("2 of 2 cases done");
  return page.url().split("/").pop()!;
}

test("a task becomes a dataset's case; two experiments run from the form and are watched to the end", async ({ page }) => {
  await signIn(page);
  await page.getByLabel("What should the agents work on?").fill(`Summarise why teams keep eval datasets of their tasks (${suffix}).`);
  await page.getByRole("button", { name: "Run task" }).click();
  await expect(page).toHaveURL(/\/tasks\/[a-z0-9]+$/);
  await expect(page.getByTestId("task-status")).toHaveText(/completed/, { timeout: 90_000 });

  // "Add to dataset" on the finished task's page (drawn for a task with a result: the page as loaded after it finished),
  // into a new dataset; a fact its answer doesn't hold is added as an expectation.
  await page.reload();
  await page.getByRole("button", { name: "Add to dataset…" }).click();
  const dialog = page.getByRole("region", { name: "Add this task to an evals dataset" });
  await dialog.getByLabel("Dataset", { exact: true }).selectOption({ label: "A new dataset…" });
  await dialog.getByLabel("New dataset's name").fill(DATASET);
  await dialog.getByLabel(/Must contain/).fill(MISSING_FACT);
  await dialog.getByRole("button", { name: "Add case" }).click();
  await expect(dialog.getByRole("status")).toContainText(`of “${DATASET}” (version`);
  const caseLink = await dialog.getByRole("status").getByRole("link").getAttribute("href");
  datasetId = /\/evals\/datasets\/([a-z0-9]+)/.exec(caseLink ?? "")![1]!;

  // A second case on the dataset's page, with only a reference: weighing `contains` 0 leaves its score alone.
  await page.goto(`/evals/datasets/${datasetId}`);
  const add = page.getByRole("form", { name: "New case" });
  await add.getByLabel("Prompt").fill(`List three risks of shipping a model change untested (${suffix}).`);
  await add.getByLabel("Reference answer").fill("Quality regressions, higher cost, slower answers.");
  await add.getByRole("button", { name: "Add case" }).click();
  await expect(page.getByTestId("dataset-version")).toContainText("2 cases");

  await page.goto("/evals");
  const row = page.getByTestId("evals-datasets").locator(`tr[data-dataset="${DATASET}"]`);
  await expect(row).toContainText("2");
  await expect(row).toContainText("none yet");

  baselineId = await runExperiment(page, `baseline-${suffix}`);
  const results = page.getByTestId("experiment-results");
  await expect(results.locator("tbody tr[data-case]")).toHaveCount(2);
  // A row opens onto the output and every scorer's explanation: the task's case was scored on the fact and its reference.
  for (const button of await results.locator("tbody tr[data-case] button[aria-expanded]").all()) await button.click();
  await expect(page.getByTestId("result-details")).toHaveCount(2);
  const fromTask = page.getByTestId("result-details").filter({ has: page.locator('[data-scorer="contains"]') });
  await expect(fromTask).toHaveCount(1);
  await expect(fromTask.locator('[data-scorer="contains"]')).toContainText(MISSING_FACT);
  await expect(fromTask.locator('[data-scorer="similarity"]')).toBeVisible();
  await expect(page.getByTestId("aggregate-pass-rate")).not.toHaveText("—");
  await expect(page.getByTestId("chart-score-distribution").locator(".recharts-bar-rectangle").first()).toBeVisible();
  await expect(page.getByTestId("table-cost-score").locator("tbody tr")).toHaveCount(2);

  candidateId = await runExperiment(page, `tools-off-${suffix}`, async (form) => {
    await form.getByLabel(/Agents may use tools/).uncheck();
    await form.getByLabel(/^contains/).fill("0");
  });
  await page.goto("/evals");
  await expect(page.getByTestId("evals-datasets").locator(`tr[data-dataset="${DATASET}"]`)).toContainText("passed");
});

test("the two experiments compared: deltas marked ▲/▼, the changed case first, its outputs diffed", async ({ page }) => {
  expect(candidateId, "the experiments ran first").toBeTruthy();
  await signIn(page);
  await page.goto(`/evals/experiments/${candidateId}`);
  await page.getByLabel("Compare with…").selectOption(baselineId);
  await page.getByRole("button", { name: "Compare", exact: true }).click();
  await expect(page).toHaveURL(`/evals/compare?a=${baselineId}&b=${candidateId}`);

  // Weighing the failed fact 0 lifts the task's case: an improvement, and the mean score goes up.
  const mean = page.getByTestId("comparison-aggregates").locator('tr[data-measure="meanScore"] td').last();
  await expect(mean).toHaveText(/^▲ \+/);
  await expect(mean).toHaveAttribute("data-tone", "better");
  // Both experiments drawn in their own (theme) colours.
  for (const series of ["a", "b"])
    await expect(page.getByTestId("chart-compare-scores").locator(`.recharts-legend-item-text`)).toContainText([`${series}: `]);
  await expect(page.getByTestId("chart-compare-scores").locator(".recharts-bar-rectangle path").first()).toHaveAttribute(
    "fill",
    /var\(--color-/,
  );
  const cases = page.getByTestId("compared-cases").locator("li[data-case]");
  await expect(cases).toHaveCount(2);
  const improved = page.getByTestId("compared-cases").locator('li[data-change="improved"]').first();
  await expect(improved).toContainText("▲ +");
  await improved.getByRole("button").click();
  const diff = improved.getByTestId("case-diff");
  await expect(diff).toContainText("Output, a → b:");
  await expect(diff.locator("span, ins, del").first()).toBeVisible();

  // Ticking two experiments on /evals leads to the same comparison.
  await page.goto("/evals");
  await page.getByLabel(`Compare baseline-${suffix}`).check();
  await page.getByLabel(`Compare tools-off-${suffix}`).check();
  await page.getByRole("button", { name: "Compare ticked" }).click();
  await expect(page).toHaveURL(`/evals/compare?a=${baselineId}&b=${candidateId}`);
});

test("the evals pages have no serious accessibility violation, light or dark, and the compare page fits a phone", async ({ page }) => {
  expect(candidateId, "the experiments ran first").toBeTruthy();
  await signIn(page);
  const paths = [
    "/evals",
    `/evals/experiments/new?dataset=${datasetId}`,
    `/evals/experiments/${candidateId}`,
    `/evals/compare?a=${baselineId}&b=${candidateId}`,
  ];
  const found: string[] = [];
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    for (const path of paths) {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      if (colorScheme === "dark") await expect(page.locator("html")).toHaveClass(/\bdark\b/);
      found.push(...(await seriousViolations(page)).map((violation) => `${colorScheme} ${path} ${violation}`));
    }
  }
  expect(found).toEqual([]);

  await page.setViewportSize({ width: 390, height: 844 });
  for (const path of [paths[2]!, paths[3]!]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    // What sticks out past the phone's edge (elements and text), unless a box that fits clips it (a table that scrolls, the hidden number tables).
    const wide = await page.evaluate(() => {
      const limit = window.innerWidth + 1;
      const name = (element: Element | null) =>
        element ? `${element.tagName.toLowerCase()}.${String(element.className).slice(0, 60)}` : "?";
      const clipped = (element: Element | null) => {
        for (let box = element; box && box !== document.body; box = box.parentElement)
          if (getComputedStyle(box).overflowX !== "visible" && box.getBoundingClientRect().right <= limit) return true;
        return false;
      };
      const elements = [...document.querySelectorAll("body *")]
        .filter((element) => element.getBoundingClientRect().right > limit && !clipped(element.parentElement))
        .map(name);
      const texts: string[] = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(node);
        if (range.getBoundingClientRect().right > limit && !clipped(node.parentElement))
          texts.push(`text in ${name(node.parentElement)}: ${node.textContent?.slice(0, 40)}`);
      }
      return [...elements, ...texts].slice(0, 8);
    });
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    expect({ wide, scrollWidth }, `${path} fits 390 px`).toEqual({ wide: [], scrollWidth: 390 });
  }
});

test("screenshots of an experiment and a comparison, light and dark (saved with UPDATE_SCREENSHOTS=1)", async ({ page }) => {
  test.skip(!saveScreenshots, "only when refreshing the docs' screenshots");
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page);
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    await page.goto(`/evals/experiments/${candidateId}`);
    await expect(page.getByTestId("chart-score-distribution").locator(".recharts-bar-rectangle").first()).toBeVisible();
    await page.screenshot({ path: `docs/screenshots/evals-experiment-${colorScheme}.png`, fullPage: true });
    await page.goto(`/evals/compare?a=${baselineId}&b=${candidateId}`);
    await page.getByTestId("compared-cases").locator("li[data-case]").first().getByRole("button").click();
    await expect(page.getByTestId("case-diff")).toBeVisible();
    await page.screenshot({ path: `docs/screenshots/evals-compare-${colorScheme}.png`, fullPage: true });
  }
});
