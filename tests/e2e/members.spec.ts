import type { Server } from "node:http";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { E2E_ADMIN, E2E_DATA_DIR, E2E_OIDC } from "../../playwright.config";
import { createApiKeyWithCli, runCli, sqlInDataDir } from "./support";

/**
 * Members in the browser: invitation links (role, single use, revocation, expiry), the last-admin
 * rule, switching between teams, API keys from the dashboard, and sign-in through a real local
 * OpenID Connect provider (`oidc-provider`, on the port playwright.config.ts configures Chorus for).
 * Any console error on a Chorus page fails the test, except the one a refused request logs where
 * a test expects the refusal.
 */
const TEAM = "e2e-team";
let adminKey: string;
let oidcServer: Server;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  adminKey = createApiKeyWithCli(E2E_DATA_DIR, TEAM, "admin");
  // The provider's dev interactions: any login (here: an email) with any password, then consent.
  const { default: Provider } = await import("oidc-provider");
  const issuer = `http://127.0.0.1:${E2E_OIDC.port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: E2E_OIDC.clientId,
        client_secret: E2E_OIDC.clientSecret,
        redirect_uris: [`http://127.0.0.1:${Number(E2E_OIDC.port) - 1000}/api/auth/callback/oidc`],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    findAccount: (_context: unknown, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id, email: id, email_verified: true, name: `OIDC ${id}` }),
    }),
    cookies: { keys: ["e2e-oidc-cookie-key-0123456789"] },
  });
  oidcServer = provider.listen(E2E_OIDC.port);
});

test.afterAll(async () => {
  await new Promise<void>((resolve) => (oidcServer ? oidcServer.close(() => resolve()) : resolve()));
});

let consoleErrors: string[] = [];
let allowedRefusal: RegExp | undefined;

function watchConsole(page: Page, baseURL: string) {
  page.on("console", (message) => {
    const where = message.location().url;
    if (message.type() !== "error" || !where.startsWith(baseURL)) return;
    if (allowedRefusal?.test(message.text())) return;
    // Chromium asks every origin for /favicon.ico; Chorus's icon is an SVG the pages link.
    if (new URL(where).pathname === "/favicon.ico") return;
    consoleErrors.push(`${message.text()} (${where})`);
  });
}

test.beforeEach(() => {
  consoleErrors = [];
  allowedRefusal = undefined;
});
test.afterEach(() => {
  expect(consoleErrors, "console errors on Chorus's pages").toEqual([]);
});

async function newPage(browser: Browser, baseURL: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  watchConsole(page, baseURL);
  return page;
}

async function signIn(page: Page, who: { email: string; password: string } = E2E_ADMIN) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tasks$/);
}

async function createInvitationLink(page: Page, role: "admin" | "user" | "viewer"): Promise<string> {
  await page.goto("/settings/members");
  await page.getByRole("combobox", { name: "Role", exact: true }).selectOption(role);
  await page.getByRole("button", { name: "Create invitation link" }).click();
  const link = page.getByLabel("Invitation link");
  await expect(link).toHaveValue(/\/invite\/[A-Za-z0-9_-]{32}$/);
  return link.inputValue();
}

async function invite(body: Record<string, unknown>, key = adminKey, baseURL = "") {
  const response = await fetch(`${baseURL}/api/v1/invitations`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { url: string; id: string };
}

test("an invitation link makes a new account with its role, works once, and a revoked one says so", async ({ browser, baseURL }) => {
  const admin = await newPage(browser, baseURL!);
  await signIn(admin);
  const link = await createInvitationLink(admin, "viewer");

  const newcomer = await newPage(browser, baseURL!);
  await newcomer.goto(link);
  await expect(newcomer.getByRole("heading", { name: "Join E2E Team on Chorus" })).toBeVisible();
  await expect(newcomer.getByText("You are invited as viewer")).toBeVisible();
  await newcomer.getByLabel("Your name").fill("Vera Viewer");
  await newcomer.getByLabel("Email").fill("vera@e2e.test");
  await newcomer.getByLabel(/^Password/).fill("vera-password-123");
  await newcomer.getByRole("button", { name: "Create account and join E2E Team" }).click();
  await expect(newcomer).toHaveURL(/\/tasks$/);
  await expect(newcomer.getByTestId("current-user")).toHaveText("vera@e2e.test · viewer");

  // Used once: the next person reads why it no longer works.
  const latecomer = await newPage(browser, baseURL!);
  await latecomer.goto(link);
  await expect(latecomer.getByText(/already been used/)).toBeVisible();

  // The admin sees the new member; a revoked link stops working.
  await admin.goto("/settings/members");
  await expect(admin.getByTestId("member-vera@e2e.test")).toContainText("viewer");
  const revokedLink = await createInvitationLink(admin, "user");
  await admin.reload();
  await admin.getByRole("button", { name: "Revoke" }).click();
  await expect(admin.getByText("No pending invitations.")).toBeVisible();
  await latecomer.goto(revokedLink);
  await expect(latecomer.getByText(/withdrawn/)).toBeVisible();
});

test("the last admin cannot be demoted; another member's role changes", async ({ browser, baseURL }) => {
  const admin = await newPage(browser, baseURL!);
  await signIn(admin);
  await admin.goto("/settings/members");
  allowedRefusal = /status of 409/;
  const ownRow = admin.getByTestId(`member-${E2E_ADMIN.email}`);
  await ownRow.getByRole("combobox").selectOption("user");
  await expect(ownRow.getByRole("alert")).toContainText("last admin cannot be demoted");
  await admin.reload();
  await expect(admin.getByTestId(`member-${E2E_ADMIN.email}`).getByRole("combobox")).toHaveValue("admin");

  // Another member's role changes (the select shows the stored role, so it shows the new one once saved).
  const veraRole = admin.getByTestId("member-vera@e2e.test").getByRole("combobox");
  await Promise.all([admin.waitForResponse((response) => response.url().includes("members.updateRole")), veraRole.selectOption("admin")]);
  await expect(veraRole).toHaveValue("admin");
  await admin.reload();
  await expect(veraRole).toHaveValue("admin");
  await Promise.all([admin.waitForResponse((response) => response.url().includes("members.updateRole")), veraRole.selectOption("viewer")]);
  await expect(veraRole).toHaveValue("viewer");
  await admin.reload();
  await expect(veraRole).toHaveValue("viewer");
});

test("a member of two teams switches between them, and each page shows the team switched to", async ({ browser, baseURL }) => {
  runCli(E2E_DATA_DIR, ["team", "create", "second-team", "--name", "Second Team"]);
  const secondKey = createApiKeyWithCli(E2E_DATA_DIR, "second-team", "admin");
  // A task only the first team has.
  const created = await fetch(`${baseURL}/api/v1/tasks`, {
    method: "POST",
    headers: { Authorization: `Bearer ${adminKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({ prompt: "Only the first team knows about lighthouses." }),
  });
  expect(created.status).toBe(201);
  const { url } = await invite({ role: "user", email: E2E_ADMIN.email }, secondKey, baseURL);

  const admin = await newPage(browser, baseURL!);
  await signIn(admin);
  await expect(admin.getByText("Only the first team knows about lighthouses.").first()).toBeVisible();
  // Signed in, the link joins the second team and lands there.
  await admin.goto(url);
  await admin.getByRole("button", { name: "Join Second Team" }).click();
  await expect(admin).toHaveURL(/\/tasks$/);
  const switcher = admin.getByRole("combobox", { name: "Team", exact: true });
  await expect(switcher.locator("option:checked")).toHaveText("Second Team (user)");
  await expect(admin.getByTestId("current-user")).toHaveText(`${E2E_ADMIN.email} · user`);
  await expect(admin.getByText("Only the first team knows about lighthouses.")).toHaveCount(0);

  await switcher.selectOption({ label: "E2E Team (admin)" });
  await expect(admin.getByTestId("current-user")).toHaveText(`${E2E_ADMIN.email} · admin`);
  await expect(admin.getByText("Only the first team knows about lighthouses.").first()).toBeVisible();
  await admin.goto("/settings/members");
  await expect(admin.getByTestId("member-vera@e2e.test")).toBeVisible();
});

test("an admin creates an API key with an expiry in the dashboard, sees it once, uses it, and revokes it", async ({ browser, baseURL }) => {
  const admin = await newPage(browser, baseURL!);
  await signIn(admin);
  await admin.goto("/settings/api-keys");
  await admin.getByLabel("Name").fill("browser-key");
  await admin.getByRole("combobox", { name: "Role" }).selectOption("viewer");
  await admin.getByRole("combobox", { name: "Expires" }).selectOption("30d");
  await admin.getByRole("button", { name: "Create API key" }).click();
  const secret = await admin.getByLabel('API key "browser-key"').inputValue();
  expect(secret).toMatch(/^chorus_[a-z0-9]{8}_/);

  const row = admin.getByTestId("api-key-browser-key");
  await expect(row).toContainText("viewer");
  await expect(row).toContainText("by Admin");
  await expect(row).toContainText(/active, expires \d{4}-\d{2}-\d{2}/);
  await expect(row).not.toContainText(secret);
  const read = () =>
    fetch(`${baseURL}/api/v1/tasks`, { headers: { Authorization: `Bearer ${secret}` } }).then((response) => response.status);
  expect(await read()).toBe(200);
  // The key's role holds: a viewer key cannot create a task.
  const write = await fetch(`${baseURL}/api/v1/tasks`, {
    method: "POST",
    headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/json" },
    body: JSON.stringify({ prompt: "not allowed" }),
  });
  expect(write.status).toBe(403);

  await row.getByRole("button", { name: "Revoke browser-key" }).click();
  await expect(admin.getByTestId("api-key-browser-key")).toContainText("revoked");
  expect(await read()).toBe(401);
  // After a reload the secret is gone for good.
  await admin.reload();
  await expect(admin.getByLabel('API key "browser-key"')).toHaveCount(0);
});

test("signing in with the OIDC provider: a known email lands in Chorus, an unknown one is told why", async ({ browser, baseURL }) => {
  const page = await newPage(browser, baseURL!);
  await page.goto("/signin");
  await page.getByRole("button", { name: `Continue with ${E2E_OIDC.name}` }).click();
  await page.locator('input[name="login"]').fill(E2E_ADMIN.email);
  await page.locator('input[name="password"]').fill("anything");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/tasks$/);
  await expect(page.getByTestId("current-user")).toContainText(E2E_ADMIN.email);

  const stranger = await newPage(browser, baseURL!);
  await stranger.goto("/signin");
  await stranger.getByRole("button", { name: `Continue with ${E2E_OIDC.name}` }).click();
  await stranger.locator('input[name="login"]').fill("stranger@e2e.test");
  await stranger.locator('input[name="password"]').fill("anything");
  await stranger.getByRole("button", { name: "Sign-in" }).click();
  await stranger.getByRole("button", { name: "Continue" }).click();
  await expect(stranger).toHaveURL(/\/signin\?error=NotInvited/);
  await expect(stranger.getByText(/no Chorus account or pending invitation/)).toBeVisible();

  // Invited by email, the same person gets in — into the team, with the invitation's role. (A
  // fresh browser: the provider would otherwise remember the earlier login.)
  await invite({ role: "viewer", email: "stranger@e2e.test" }, adminKey, baseURL);
  const invited = await newPage(browser, baseURL!);
  await invited.goto("/signin");
  await invited.getByRole("button", { name: `Continue with ${E2E_OIDC.name}` }).click();
  await invited.locator('input[name="login"]').fill("stranger@e2e.test");
  await invited.locator('input[name="password"]').fill("anything");
  await invited.getByRole("button", { name: "Sign-in" }).click();
  await invited.getByRole("button", { name: "Continue" }).click();
  await expect(invited).toHaveURL(/\/tasks$/);
  await expect(invited.getByTestId("current-user")).toHaveText("stranger@e2e.test · viewer");
});

test("an expired invitation link says so", async ({ browser, baseURL }) => {
  const { url } = await invite({ role: "user", expiresInMinutes: 1 }, adminKey, baseURL);
  const page = await newPage(browser, baseURL!);
  await page.goto(url);
  await expect(page.getByRole("heading", { name: "Join E2E Team on Chorus" })).toBeVisible();
  // The shortest lifetime is a minute; rather than wait it out, let the clock pass it in the database.
  // Only this test's invitation lives under two minutes (the others last days).
  const expired = await sqlInDataDir(
    E2E_DATA_DIR,
    `UPDATE "Invitation" SET "expiresAt" = now() - interval '1 second'
      WHERE "acceptedAt" IS NULL AND "revokedAt" IS NULL AND "expiresAt" < now() + interval '2 minutes' RETURNING id`,
  );
  expect(expired).toHaveLength(1);
  await page.reload();
  await expect(page.locator("main")).toContainText("expired");
});
