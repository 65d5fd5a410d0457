import { randomBytes } from "node:crypto";
import { NextRequest } from "next/server";
import { afterEach, describe, expect, it } from "vitest";

/**
 * next-auth's route behind a proxy. Next.js hands a custom server's requests the address it
 * listens on (`http://0.0.0.0:3000/…`), and Auth.js builds its redirects and URLs from the
 * request's URL: without the route's rewrite to the public origin, signing out behind a proxy
 * sent the browser to http://0.0.0.0:3000. These call the route's own GET and POST.
 */
process.env.AUTH_SECRET ??= randomBytes(32).toString("base64url");
const { GET, POST } = await import("@/app/api/auth/[...nextauth]/route");

const LISTENING = "http://0.0.0.0:3000";
const behindProxy = { host: "0.0.0.0:3000", "x-forwarded-host": "chorus.example.com", "x-forwarded-proto": "https" };

const get = (path: string, headers: Record<string, string>) => GET(new NextRequest(`${LISTENING}${path}`, { headers }));

/** Signs out the way the browser's form does: a CSRF token and its cookie, then a form POST. */
async function signOut(headers: Record<string, string>) {
  const csrf = await get("/api/auth/csrf", headers);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const cookie = csrf.headers
    .getSetCookie()
    .map((setCookie) => setCookie.split(";")[0])
    .join("; ");
  return POST(
    new NextRequest(`${LISTENING}/api/auth/signout`, {
      method: "POST",
      headers: { ...headers, cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken }),
    }),
  );
}

// Each test starts from the defaults (no AUTH_URL, a trusted proxy); the file runs in a process of its own.
const useDefaults = () => {
  delete process.env.AUTH_URL;
  delete process.env.AUTH_TRUST_HOST;
};
useDefaults();
afterEach(useDefaults);

describe("next-auth behind a proxy", () => {
  it("redirects after sign-out to the origin the browser used, not the address Chorus listens on", async () => {
    const response = await signOut(behindProxy);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("https://chorus.example.com");
  });

  it("sends the browser to the sign-in page with a callback URL on the public origin", async () => {
    const response = await get("/api/auth/signin", behindProxy);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get("location")!, "https://chorus.example.com");
    expect(location.pathname).toBe("/signin");
    expect(location.searchParams.get("callbackUrl")).toBe("https://chorus.example.com");
  });

  it("puts the public origin in the URLs of its pages and answers, and its cookies are the HTTPS ones", async () => {
    const page = await (await get("/api/auth/signout", behindProxy)).text();
    expect(page).toContain('action="https://chorus.example.com/api/auth/signout"');
    const providers = await (await get("/api/auth/providers", behindProxy)).json();
    expect(providers.credentials).toMatchObject({
      signinUrl: "https://chorus.example.com/api/auth/signin/credentials",
      callbackUrl: "https://chorus.example.com/api/auth/callback/credentials",
    });
    const cookies = (await get("/api/auth/csrf", behindProxy)).headers.getSetCookie();
    expect(cookies.some((cookie) => cookie.startsWith("__Host-authjs.csrf-token=") && /; Secure/.test(cookie))).toBe(true);
    for (const text of [page, JSON.stringify(providers), ...cookies]) expect(text).not.toMatch(/0\.0\.0\.0|%2F%2F0\.0\.0\.0/);
  });

  it("uses AUTH_URL when it is set, whatever the proxy forwards", async () => {
    process.env.AUTH_URL = "https://chorus.public.example";
    const forged = { ...behindProxy, "x-forwarded-host": "attacker.example", "x-forwarded-proto": "http" };
    expect((await signOut(forged)).headers.get("location")).toBe("https://chorus.public.example");
    const signIn = await get("/api/auth/signin", forged);
    expect(new URL(signIn.headers.get("location")!, "https://chorus.public.example").searchParams.get("callbackUrl")).toBe(
      "https://chorus.public.example",
    );
  });

  it("without a proxy, uses the Host the browser asked for", async () => {
    const direct = { host: "chorus.lan:3000" };
    expect((await signOut(direct)).headers.get("location")).toBe("http://chorus.lan:3000");
  });
});
