import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../../playwright.config";

/**
 * Operations on the built app that `npm start` serves: a member signs in and opens the task
 * list (pages carry an `X-Request-Id`, with no console error), the liveness and readiness
 * probes answer 200 with every check passing, and a scrape from this machine reads Prometheus
 * text that counted those requests under their route patterns.
 */
test("probes pass, pages carry a request id, and a local scrape reads the metrics", async ({ page, request }) => {
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));

  const signIn = await page.goto("/signin");
  expect(signIn!.headers()["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tasks$/);

  const live = await request.get("/api/health/live");
  expect(live.status()).toBe(200);
  const ready = await request.get("/api/health/ready", { headers: { "X-Request-Id": "e2e-probe-1" } });
  expect(ready.status()).toBe(200);
  expect(ready.headers()["x-request-id"]).toBe("e2e-probe-1");
  const report = (await ready.json()) as { status: string; checks: Record<string, { status: string }>; failing: string[] };
  expect(report).toMatchObject({ status: "ok", failing: [] });
  expect(Object.keys(report.checks).sort()).toEqual(["database", "disk", "executor"]);

  const scrape = await request.get("/api/metrics");
  expect(scrape.status()).toBe(200);
  expect(scrape.headers()["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await scrape.text();
  expect(text).toMatch(/^http_requests_total\{route="\/api\/health\/ready",method="GET",status="200"\} [1-9]/m);
  expect(text).toMatch(/^chorus_active_tasks\{status="running"\} \d+/m);
  expect(text).toMatch(/^chorus_db_pool_connections\{state="total"\} [1-9]/m);
  expect(text).toMatch(/^chorus_executor_runs_in_progress \d+/m);
  // Through a proxy (a forwarded request) without a token: refused.
  const proxied = await request.get("/api/metrics", { headers: { "X-Forwarded-For": "203.0.113.9" } });
  expect(proxied.status()).toBe(401);

  expect(consoleErrors).toEqual([]);
});
