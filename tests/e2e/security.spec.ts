import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type Page } from "@playwright/test";
import { E2E_ADMIN, E2E_DATA_DIR } from "../../playwright.config";
import { createApiKeyWithCli, runCli } from "./support";

/**
 * The security review's browser reproductions, each now refused: an open redirect after sign-in,
 * a shared task link lost at sign-in, a form on another port of the same host acting with the
 * signed-in cookie, and a cookie that kept working after sign-out.
 */
const DATA_DIR = E2E_DATA_DIR;
let userKey: string;

test.beforeAll(() => {
  userKey = createApiKeyWithCli(DATA_DIR, "e2e-team", "user");
});

async function signIn(page: Page, who = E2E_ADMIN) {
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function taskIds(baseURL: string): Promise<string[]> {
  const response = await fetch(`${baseURL}/api/v1/tasks?limit=100`, { headers: { Authorization: `Bearer ${userKey}` } });
  return ((await response.json()) as { tasks: Array<{ id: string }> }).tasks.map((task) => task.id);
}

test("sign-in never leaves for another host, however `next` is spelled", async ({ browser, baseURL }) => {
  for (const next of ["/%5Cevil.example/x", "/%09/evil.example/x", "/..//evil.example/x", "//evil.example", "https://evil.example/"]) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`/signin?next=${next}`);
    await signIn(page);
    await expect(page, next).toHaveURL(`${baseURL}/tasks`);
    await context.close();
  }
});

test("a shared task link opens that task after sign-in", async ({ page, baseURL }) => {
  const created = await fetch(`${baseURL}/api/v1/tasks`, {
    method: "POST",
    headers: { Authorization: `Bearer ${userKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({ prompt: "Summarise the history of the bicycle." }),
  });
  const { id } = (await created.json()) as { id: string };
  await page.goto(`/tasks/${id}`);
  await expect(page).toHaveURL(`${baseURL}/signin?next=${encodeURIComponent(`/tasks/${id}`)}`);
  await signIn(page);
  await expect(page).toHaveURL(`${baseURL}/tasks/${id}`);
  await expect(page.getByText("Summarise the history of the bicycle.").first()).toBeVisible();
});

test.describe("a page on another port of the same host", () => {
  let attacker: Server;
  let attackerURL: string;
  let target = "";
  test.beforeAll(async () => {
    // Auto-submitting forms, as a malicious page would serve them.
    attacker = createServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://attacker");
      const action = `${target}${url.searchParams.get("action") ?? "/api/v1/tasks"}`;
      const textPlain = url.searchParams.get("plain") === "1";
      response.writeHead(200, { "content-type": "text/html" });
      response.end(`<!doctype html><form id="f" method="POST" action="${action}" ${textPlain ? 'enctype="text/plain"' : ""}>
        ${textPlain ? `<input name='{"prompt":"forged","x":"' value='"}'>` : ""}</form><script>document.getElementById("f").submit()</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
    attackerURL = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
  });
  test.afterAll(() => new Promise<void>((resolve) => attacker.close(() => resolve())));

  test("cannot create or cancel tasks with the signed-in member's cookie", async ({ page, baseURL }) => {
    target = baseURL!;
    await page.goto("/signin");
    await signIn(page);
    await expect(page).toHaveURL(`${baseURL}/tasks`);
    const before = await taskIds(baseURL!);

    const forgedCreate = page.waitForResponse((response) => response.url() === `${baseURL}/api/v1/tasks`);
    await page.goto(`${attackerURL}/?plain=1`);
    expect((await forgedCreate).status()).toBe(403);
    expect(await taskIds(baseURL!)).toEqual(before);

    const waiting = await fetch(`${baseURL}/api/v1/tasks`, {
      method: "POST",
      headers: { Authorization: `Bearer ${userKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ prompt: "Plan a bake sale.", requireApproval: true }),
    });
    const { id } = (await waiting.json()) as { id: string };
    const forgedCancel = page.waitForResponse((response) => response.url() === `${baseURL}/api/v1/tasks/${id}/cancel`);
    await page.goto(`${attackerURL}/?action=${encodeURIComponent(`/api/v1/tasks/${id}/cancel`)}`);
    expect((await forgedCancel).status()).toBe(403);
    const task = await (await fetch(`${baseURL}/api/v1/tasks/${id}`, { headers: { Authorization: `Bearer ${userKey}` } })).json();
    expect(task.status).not.toBe("cancelled");
  });
});

test("signing out ends the session: the old cookie no longer reads or writes", async ({ page, baseURL }) => {
  const who = { email: `signout-${Date.now().toString(36)}@e2e.test`, password: "sign-out-password-1" };
  runCli(DATA_DIR, ["user", "create", "--email", who.email, "--password", who.password, "--team", "e2e-team", "--role", "user"]);
  await page.goto("/signin");
  await signIn(page, who);
  await expect(page).toHaveURL(`${baseURL}/tasks`);
  const cookie = (await page.context().cookies()).map((entry) => `${entry.name}=${entry.value}`).join("; ");
  expect((await fetch(`${baseURL}/api/v1/tasks`, { headers: { cookie } })).status).toBe(200);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  expect((await fetch(`${baseURL}/api/v1/tasks`, { headers: { cookie } })).status).toBe(401);
  const write = await fetch(`${baseURL}/api/v1/tasks`, {
    method: "POST",
    headers: { cookie, "Content-Type": "application/json", Origin: baseURL! },
    body: JSON.stringify({ prompt: "after sign-out" }),
  });
  expect(write.status).toBe(401);
  await page.goto("/tasks");
  await expect(page).toHaveURL(/\/signin/);
});
