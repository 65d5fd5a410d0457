import { afterEach, describe, expect, it } from "vitest";
import { cameOverTls, publicOrigin } from "@/server/http/public-origin";

const headers = (values: Record<string, string>) => new Headers(values);

// Each test starts from the defaults (no AUTH_URL, a trusted proxy); the file runs in a process of its own.
const useDefaults = () => {
  delete process.env.AUTH_URL;
  delete process.env.AUTH_TRUST_HOST;
};
useDefaults();
afterEach(useDefaults);

describe("the public origin", () => {
  it("is AUTH_URL's origin when it is set, whatever the request says", () => {
    process.env.AUTH_URL = "https://chorus.example.com/some/path";
    expect(publicOrigin(headers({ host: "0.0.0.0:3000", "x-forwarded-host": "attacker.example", "x-forwarded-proto": "http" }))).toBe(
      "https://chorus.example.com",
    );
    expect(publicOrigin(headers({}))).toBe("https://chorus.example.com");
  });

  it("behind a trusted proxy, is what it forwarded: the first host and protocol of each list", () => {
    expect(publicOrigin(headers({ host: "0.0.0.0:3000", "x-forwarded-host": "chorus.example.com", "x-forwarded-proto": "https" }))).toBe(
      "https://chorus.example.com",
    );
    expect(
      publicOrigin(
        headers({ host: "0.0.0.0:3000", "x-forwarded-host": "Chorus.Example.com:8443, inner.proxy", "x-forwarded-proto": "HTTPS, http" }),
      ),
    ).toBe("https://chorus.example.com:8443");
    // The default port of the protocol is no part of an origin.
    expect(publicOrigin(headers({ "x-forwarded-host": "chorus.example.com:443", "x-forwarded-proto": "https" }))).toBe(
      "https://chorus.example.com",
    );
  });

  it("takes the Host when nothing is forwarded, and a forwarded protocol other than http or https not at all", () => {
    expect(publicOrigin(headers({ host: "chorus.lan:3000" }))).toBe("http://chorus.lan:3000");
    expect(publicOrigin(headers({ host: "chorus.lan:3000" }), "https")).toBe("https://chorus.lan:3000");
    expect(publicOrigin(headers({ host: "chorus.lan", "x-forwarded-proto": "ftp" }))).toBe("http://chorus.lan");
  });

  it("ignores forwarded headers when the proxy is not trusted (AUTH_TRUST_HOST=false)", () => {
    process.env.AUTH_TRUST_HOST = "false";
    expect(publicOrigin(headers({ host: "chorus.lan:3000", "x-forwarded-host": "attacker.example", "x-forwarded-proto": "https" }))).toBe(
      "http://chorus.lan:3000",
    );
  });

  it("is unknown without a Host, or with one that is no host", () => {
    expect(publicOrigin(headers({}))).toBeUndefined();
    expect(publicOrigin(headers({ host: "bad host/with path" }))).toBeUndefined();
  });
});

describe("whether the browser's connection was TLS", () => {
  it("is the socket's, AUTH_URL's scheme, or a trusted proxy's X-Forwarded-Proto", () => {
    expect(cameOverTls(headers({}), true)).toBe(true);
    expect(cameOverTls(headers({}), false)).toBe(false);
    expect(cameOverTls(headers({ "x-forwarded-proto": "https" }), false)).toBe(true);
    process.env.AUTH_TRUST_HOST = "false";
    expect(cameOverTls(headers({ "x-forwarded-proto": "https" }), false)).toBe(false);
    process.env.AUTH_URL = "https://chorus.example.com";
    expect(cameOverTls(headers({}), false)).toBe(true);
  });
});
