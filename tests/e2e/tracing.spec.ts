import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { E2E_PORT } from "../../playwright.config";
import { startOtlpCollector, type OtlpCollector } from "../support/otlp-collector";
import { createApiKeyWithCli, spawnChorus, waitForHealth, waitForTask } from "./support";

/**
 * Tracing as an operator turns it on (docs/operations.md#tracing): `npm start` with
 * OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP collector (a local one speaking the real
 * wire format). A task submitted through the REST API is exported as a trace, and its page shows
 * that trace id — small, copyable — with no console error.
 */
const port = E2E_PORT + 2000;
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = `/tmp/chorus-e2e-tracing-${port}`;
const admin = { email: "admin@tracing.test", password: "tracing-password-123" };

let collector: OtlpCollector;
let server: ChildProcess | undefined;
const output: string[] = [];

test.beforeAll(async () => {
  test.setTimeout(300_000);
  rmSync(dataDir, { recursive: true, force: true });
  collector = await startOtlpCollector();
  server = spawnChorus({
    port,
    dataDir,
    teamName: "Tracing Team",
    admin,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: "chorus-e2e", CHORUS_OFFLINE_TOKEN_DELAY_MS: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout!.on("data", (chunk) => output.push(String(chunk)));
  server.stderr!.on("data", (chunk) => output.push(String(chunk)));
  await waitForHealth(baseURL, { timeoutMs: 240_000, what: "the traced server", detail: () => output.join("").slice(-4000) });
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  await collector?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test("a traced task's page shows its trace id, which a click copies", async ({ page, context, request }) => {
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));

  const key = createApiKeyWithCli(dataDir, "tracing-team", "admin");
  const created = await request.post(`${baseURL}/api/v1/tasks`, {
    headers: { Authorization: `Bearer ${key}` },
    data: { prompt: "Research how community gardens reduce food costs, then analyse and summarise." },
  });
  expect(created.status()).toBe(201);
  const { id, traceId } = (await created.json()) as { id: string; traceId: string };
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  await waitForTask(request, baseURL, key, id, (task) => task.status === "completed");
  // The task's spans reach the collector (batched: within the exporter's 2 s delay).
  await expect
    .poll(() => collector.spans.filter((span) => span.traceId === traceId).map((span) => span.name), { timeout: 15_000 })
    .toEqual(expect.arrayContaining(["POST /api/v1/tasks", "chorus.task", "plan", "agent research"]));

  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL });
  await page.goto(`${baseURL}/signin`);
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Password").fill(admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tasks$/);

  await page.goto(`${baseURL}/tasks/${id}`);
  await expect(page.getByTestId("trace-id")).toHaveText(traceId);
  await page.getByRole("button", { name: "Copy the trace id" }).click();
  await expect(page.getByRole("button", { name: "Trace id copied" })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(traceId);

  expect(consoleErrors).toEqual([]);
});
