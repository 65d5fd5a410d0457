import { defineConfig } from "@playwright/test";

/**
 * End-to-end tests in Debian's Chromium against a real Chorus: built, started with its own
 * embedded Postgres in a fresh data dir, on the offline model.
 */
/** CHORUS_E2E_PORT lets several checkouts run their browser tests side by side on one machine. */
export const E2E_PORT = Number(process.env.CHORUS_E2E_PORT ?? 3107);
export const E2E_DATA_DIR = `/tmp/chorus-e2e-data-${E2E_PORT}`;
export const E2E_ADMIN = { email: "admin@e2e.test", password: "e2e-password-123" };
/**
 * A local OpenID Connect provider (the `oidc-provider` package) that tests/e2e/members.spec.ts
 * starts on this port: Chorus is configured for it from the start and discovers it only when
 * someone signs in with it, so no other spec needs it running.
 */
export const E2E_OIDC = {
  port: E2E_PORT + 1000,
  clientId: "chorus-e2e",
  clientSecret: "chorus-e2e-oidc-client-secret",
  name: "Local OIDC",
};

export default defineConfig({
  testDir: "tests/e2e",
  timeout: 120_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
    trace: "off",
    screenshot: "only-on-failure",
  },
  webServer: {
    command: `rm -rf ${E2E_DATA_DIR} && node bin/start.mjs`,
    url: `http://127.0.0.1:${E2E_PORT}/api/health`,
    timeout: 600_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
    env: {
      PORT: String(E2E_PORT),
      HOST: "127.0.0.1",
      CHORUS_DATA_DIR: E2E_DATA_DIR,
      CHORUS_ADMIN_EMAIL: E2E_ADMIN.email,
      CHORUS_ADMIN_PASSWORD: E2E_ADMIN.password,
      CHORUS_TEAM_NAME: "E2E Team",
      CHORUS_OFFLINE_TOKEN_DELAY_MS: "15",
      LOG_LEVEL: "warn",
      CHORUS_OIDC_ISSUER: `http://127.0.0.1:${E2E_OIDC.port}`,
      CHORUS_OIDC_CLIENT_ID: E2E_OIDC.clientId,
      CHORUS_OIDC_CLIENT_SECRET: E2E_OIDC.clientSecret,
      CHORUS_OIDC_NAME: E2E_OIDC.name,
    },
  },
});
