import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { Webhook } from "standardwebhooks";
import { E2E_ADMIN } from "../../playwright.config";

/**
 * Webhooks in the browser: an admin allows private destinations (the receiver is on this
 * machine), adds an endpoint, sees its signing secret once, sends a test event — which the local
 * receiver verifies with `standardwebhooks` and that secret — and sees the delivery listed; after
 * a reload the secret is nowhere on the page. Any console error fails the spec.
 */

const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
let receiver: Server;
let receiverUrl = "";

test.beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      response.writeHead(200, { "content-type": "text/plain" }).end("received by e2e");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/chorus-hook`;
});
test.afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

test("an admin adds an endpoint, sees the secret once, test-sends and sees the delivery listed", async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    // Chromium asks every page for /favicon.ico, which the app does not serve (its icon is public/favicon.svg): not this page's error.
    if (message.type() === "error" && !message.location().url.endsWith("/favicon.ico")) {
      consoleErrors.push(`${message.text()} (${message.location().url})`);
    }
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));

  await page.goto("/signin");
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tasks$/);

  await page.goto("/settings");
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Webhooks" }).click();
  await expect(page).toHaveURL(/\/settings\/webhooks$/);
  await expect(page.getByText("No endpoints yet.")).toBeVisible();

  // A receiver on this machine is a private destination: refused until the team allows those.
  const allowPrivate = page.getByLabel("Allow private and loopback destinations");
  await allowPrivate.check();
  await expect(allowPrivate).toBeChecked();
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();

  const form = page.getByRole("form", { name: "Add an endpoint" });
  await form.getByLabel("URL").fill(receiverUrl);
  await form.getByLabel(/Description/).fill("e2e receiver");
  await form.getByLabel(/task\.awaiting_approval/).check();
  await form.getByRole("button", { name: "Add endpoint" }).click();

  const secretShown = form.getByTestId("webhook-secret");
  await expect(secretShown).toHaveText(/^whsec_[A-Za-z0-9+/=]{44}$/);
  const secret = (await secretShown.textContent())!;

  const endpoint = page.getByRole("listitem", { name: "Webhook e2e receiver" });
  await expect(endpoint).toContainText(receiverUrl);
  await expect(endpoint).toContainText("task.completed, task.failed, task.awaiting_approval");
  await endpoint.getByRole("button", { name: "Send test" }).click();
  await expect(endpoint.getByRole("status")).toContainText("Test delivered: HTTP 200");

  const delivery = endpoint.getByTestId("webhook-delivery").first();
  await expect(delivery).toContainText("webhook.test");
  await expect(delivery).toContainText("succeeded");
  await expect(delivery).toContainText("HTTP 200");
  await expect(delivery).toContainText("received by e2e");

  // What arrived is signed with the secret the page showed.
  expect(received).toHaveLength(1);
  const payload = new Webhook(secret).verify(received[0]!.body, received[0]!.headers as Record<string, string>) as { type: string };
  expect(payload.type).toBe("webhook.test");

  // Shown once: dismissed, and after a reload, nowhere on the page.
  await form.getByRole("button", { name: "I have saved it" }).click();
  await expect(secretShown).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole("listitem", { name: "Webhook e2e receiver" }).getByTestId("webhook-delivery")).toHaveCount(1);
  expect(await page.content()).not.toContain(secret.slice("whsec_".length));

  expect(consoleErrors).toEqual([]);
});
