import { createServer as createTlsServer } from "node:https";
import { createSecureContext } from "node:tls";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fetchReadablePage } from "@/server/web/fetch-page";
import { FetchFailedError, FetchRefusedError, guardedFetch, USER_AGENT, type Resolver } from "@/server/web/guarded-fetch";
import { minimalPdf } from "../support/minimal-pdf";
import { startLocalWebServer, type LocalWebServer } from "../support/local-web-server";
import { SELF_SIGNED_CERT, SELF_SIGNED_HOST, SELF_SIGNED_KEY } from "../support/self-signed-tls";

/**
 * The fetch guard against real sockets on loopback: local servers stand in for the web, a fake
 * resolver for DNS. The allow list is how these tests reach them at all — which is itself the
 * check that, without it, loopback is refused.
 */

let server: LocalWebServer;
const local = { allow: ["127.0.0.1"], deny: [] };

/** A resolver answering from a table, counting look-ups. */
function resolverOf(table: Record<string, string[]>) {
  const calls: string[] = [];
  const resolve: Resolver = async (host) => {
    calls.push(host);
    const addresses = table[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return { resolve, calls };
}

async function refusal(promise: Promise<unknown>): Promise<FetchRefusedError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FetchRefusedError);
  return error as FetchRefusedError;
}

async function failure(promise: Promise<unknown>): Promise<FetchFailedError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FetchFailedError);
  return error as FetchFailedError;
}

const ARTICLE = `<!doctype html><html><head><title>Tide tables</title></head><body>
  <nav><a href="/">Home</a> <a href="/login">Sign in</a></nav>
  <article><h1>Spring tides in the estuary</h1><p>${"High water arrives forty minutes later each day in the estuary. ".repeat(8)}</p>
  <ul><li>Neap tides: small range</li><li>Spring tides: large range</li></ul></article>
  <script>window.tracking = "do-not-read"</script></body></html>`;

beforeAll(async () => {
  server = await startLocalWebServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

describe("reaching pages", () => {
  it("reads a real HTML page from an allow-listed local server as readable text, without cookies and with Chorus's User-Agent", async () => {
    server.handle((_request, response) => {
      response.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Set-Cookie": "session=abc" }).end(ARTICLE);
    });
    const page = await fetchReadablePage(`${server.url}/tides#section`, { policy: local });
    expect(page).toMatchObject({ url: `${server.url}/tides`, finalUrl: `${server.url}/tides`, status: 200, contentType: "text/html" });
    // Readability takes the article's heading as its title.
    expect(page.title).toBe("Spring tides in the estuary");
    expect(page.text).toContain("High water arrives forty minutes later each day in the estuary.");
    expect(page.text).toContain("- Neap tides: small range");
    expect(page.text).not.toMatch(/do-not-read|Sign in/);
    expect(page.truncated).toBe(false);
    expect(server.requests[0]!.headers["user-agent"]).toBe(USER_AGENT);
    expect(server.requests[0]!.headers.cookie).toBeUndefined();
    // A second fetch sends no cookie either: nothing is kept between fetches.
    await fetchReadablePage(`${server.url}/tides`, { policy: local });
    expect(server.requests[1]!.headers.cookie).toBeUndefined();
  });

  it("reads PDFs (also when labelled octet-stream), plain text, JSON and gzip-compressed pages", async () => {
    server.handle((request, response) => {
      if (request.url === "/report.pdf")
        response.writeHead(200, { "Content-Type": "application/octet-stream" }).end(minimalPdf(["Harbour dues 2026"]));
      else if (request.url === "/data.json") response.writeHead(200, { "Content-Type": "application/json" }).end('{"tide":"high"}');
      else if (request.url === "/zipped")
        response.writeHead(200, { "Content-Type": "text/plain", "Content-Encoding": "gzip" }).end(gzipSync("compressed notes"));
      else response.writeHead(200, { "Content-Type": "text/markdown" }).end("# Notes\n\n- one");
    });
    const pdf = await fetchReadablePage(`${server.url}/report.pdf`, { policy: local });
    expect(pdf).toMatchObject({ contentType: "application/pdf", text: "Harbour dues 2026" });
    expect((await fetchReadablePage(`${server.url}/data.json`, { policy: local })).text).toBe('{"tide":"high"}');
    expect((await fetchReadablePage(`${server.url}/notes.md`, { policy: local })).text).toBe("# Notes\n\n- one");
    expect((await fetchReadablePage(`${server.url}/zipped`, { policy: local })).text).toBe("compressed notes");
    expect(server.requests[0]!.headers["accept-encoding"]).toContain("gzip");
    server.handle((_request, response) => {
      const latin1 = Buffer.from(
        `<html><head><meta charset="iso-8859-1"><title>Caf\u00e9</title></head><body><p>cr\u00e8me</p></body></html>`,
        "latin1",
      );
      response.writeHead(200, { "Content-Type": "text/html" }).end(latin1);
    });
    expect(await fetchReadablePage(`${server.url}/latin1`, { policy: local })).toMatchObject({ title: "Café", text: "crème" });
  });
});

describe("refusing private addresses", () => {
  it("refuses loopback without an allow entry, before any connection", async () => {
    server.handle((_request, response) => response.writeHead(200, { "Content-Type": "text/plain" }).end("secret"));
    const error = await refusal(guardedFetch(`${server.url}/`));
    expect(error.reason).toBe("private-address");
    expect(error.message).toMatch(/^Refused: 127\.0\.0\.1 is a loopback address/);
    expect((await refusal(guardedFetch(`http://[::1]:${server.port}/`))).reason).toBe("private-address");
    expect((await refusal(guardedFetch(`http://2130706433:${server.port}/`))).reason).toBe("private-address");
    // Through the system resolver (the hosts file): localhost is loopback whatever it is called.
    expect((await refusal(guardedFetch(`http://localhost:${server.port}/`))).reason).toBe("private-address");
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    "169.254.169.254",
    "::ffff:10.0.0.1",
    "fc00::1",
    "100.64.0.1",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.0.1",
    "127.0.0.1",
    "0.0.0.0",
    "fe80::1",
  ])("refuses a public-looking name that resolves to %s", async (address) => {
    const dns = resolverOf({ "news.example.com": [address] });
    const error = await refusal(guardedFetch("http://news.example.com/", { resolver: dns.resolve }));
    expect(error.reason).toBe("private-address");
    expect(error.message).toContain(`resolves to ${address}`);
  });

  it("checks every address a name resolves to, not just the first", async () => {
    const dns = resolverOf({ "mixed.example.com": ["93.184.215.14", "127.0.0.1"] });
    expect((await refusal(guardedFetch(`http://mixed.example.com:${server.port}/`, { resolver: dns.resolve }))).reason).toBe(
      "private-address",
    );
    expect(server.requests).toHaveLength(0);
  });

  it("refuses a redirect chain from an allowed host at the hop that lands on loopback", async () => {
    server.handle((request, response) => {
      if (request.url === "/start") response.writeHead(302, { Location: "/middle" }).end();
      else if (request.url === "/middle") response.writeHead(301, { Location: `http://127.0.0.1:${server.port}/secret` }).end();
      else response.writeHead(200, { "Content-Type": "text/plain" }).end("secret");
    });
    const dns = resolverOf({ "wiki.allowed.test": ["127.0.0.1"] });
    const policy = { allow: ["wiki.allowed.test"], deny: [] };
    const error = await refusal(guardedFetch(`http://wiki.allowed.test:${server.port}/start`, { resolver: dns.resolve, policy }));
    expect(error.reason).toBe("private-address");
    expect(error.url).toBe(`http://127.0.0.1:${server.port}/secret`);
    expect(server.requests.map((request) => request.url)).toEqual(["/start", "/middle"]);
    expect(server.requests[0]!.headers.host).toBe(`wiki.allowed.test:${server.port}`);
  });

  it("refuses a redirect to the metadata service and to other schemes", async () => {
    server.handle((request, response) => {
      const to = request.url === "/meta" ? "http://metadata.test/latest/meta-data/" : "file:///etc/passwd";
      response.writeHead(307, { Location: to }).end();
    });
    const dns = resolverOf({ "metadata.test": ["169.254.169.254"] });
    const meta = await refusal(guardedFetch(`${server.url}/meta`, { policy: local, resolver: dns.resolve }));
    expect(meta.message).toContain("a cloud metadata service address");
    expect((await refusal(guardedFetch(`${server.url}/file`, { policy: local }))).reason).toBe("scheme");
  });

  it("connects to the address it checked, so a DNS answer that changes (rebinding) cannot redirect the connection", async () => {
    // The same port on two loopback addresses: only 127.0.0.2 is allowed, and the resolver
    // answers 127.0.0.2 first and 127.0.0.1 on every later look-up.
    const allowed = await startLocalWebServer("127.0.0.2");
    const forbidden = await startLocalWebServer("127.0.0.1", allowed.port);
    try {
      allowed.handle((_request, response) => response.writeHead(200, { "Content-Type": "text/plain" }).end("from the checked address"));
      forbidden.handle((_request, response) => response.writeHead(200, { "Content-Type": "text/plain" }).end("from the rebound address"));
      let lookups = 0;
      const rebinding: Resolver = async () => [{ address: lookups++ === 0 ? "127.0.0.2" : "127.0.0.1", family: 4 }];
      const response = await guardedFetch(`http://rebind.test:${allowed.port}/`, {
        resolver: rebinding,
        policy: { allow: ["127.0.0.2"], deny: [] },
      });
      expect(new TextDecoder().decode(response.body)).toBe("from the checked address");
      expect(lookups).toBe(1);
      expect(forbidden.requests).toHaveLength(0);
      expect(allowed.requests[0]!.headers.host).toBe(`rebind.test:${allowed.port}`);
    } finally {
      await allowed.close();
      await forbidden.close();
    }
  });
});

describe("https", () => {
  it("connects to the checked address but names the host for SNI and the certificate check, refusing an untrusted certificate", async () => {
    const serverNames: string[] = [];
    const context = createSecureContext({ key: SELF_SIGNED_KEY, cert: SELF_SIGNED_CERT });
    const tls = createTlsServer(
      {
        key: SELF_SIGNED_KEY,
        cert: SELF_SIGNED_CERT,
        // Called with the ClientHello's server name (only when the client sends one).
        SNICallback: (name, done) => (serverNames.push(name), done(null, context)),
      },
      (_request, response) => response.end("encrypted"),
    );
    await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
    const port = (tls.address() as AddressInfo).port;
    try {
      const dns = resolverOf({ [SELF_SIGNED_HOST]: ["127.0.0.1"] });
      const policy = { allow: [SELF_SIGNED_HOST], deny: [] };
      const error = await failure(guardedFetch(`https://${SELF_SIGNED_HOST}:${port}/`, { resolver: dns.resolve, policy }));
      // Nothing trusts the self-signed certificate: had the check been skipped, the fetch would have succeeded.
      expect(error).toMatchObject({ reason: "tls", retryable: false });
      expect(serverNames).toEqual([SELF_SIGNED_HOST]);
      expect(dns.calls).toEqual([SELF_SIGNED_HOST]);
    } finally {
      tls.closeAllConnections();
      await new Promise<void>((resolve) => tls.close(() => resolve()));
    }
  });
});

describe("the team's policy", () => {
  it("lets deny win over allow, for host names, wildcards and CIDRs", async () => {
    server.handle((_request, response) => response.writeHead(200, { "Content-Type": "text/plain" }).end("ok"));
    const dns = resolverOf({ "docs.corp.test": ["127.0.0.1"], "blocked.corp.test": ["127.0.0.1"] });
    const policy = { allow: ["*.corp.test", "127.0.0.1"], deny: ["blocked.corp.test"] };
    expect((await guardedFetch(`http://docs.corp.test:${server.port}/`, { resolver: dns.resolve, policy })).status).toBe(200);
    const denied = await refusal(guardedFetch(`http://blocked.corp.test:${server.port}/`, { resolver: dns.resolve, policy }));
    expect(denied.reason).toBe("denied-by-policy");
    expect(denied.message).toBe("Refused: blocked.corp.test is on your team's deny list for web fetches");
    const byCidr = { allow: ["127.0.0.1"], deny: ["127.0.0.0/8"] };
    expect((await refusal(guardedFetch(`${server.url}/`, { policy: byCidr }))).reason).toBe("denied-by-policy");
    expect(server.requests).toHaveLength(1);
  });
});

describe("limits", () => {
  it("stops reading at the size cap and says the body was truncated", async () => {
    const big = "a".repeat(3 * 1024 * 1024);
    server.handle((request, response) => {
      if (request.url === "/gzip") response.writeHead(200, { "Content-Type": "text/plain", "Content-Encoding": "gzip" }).end(gzipSync(big));
      else response.writeHead(200, { "Content-Type": "text/plain" }).end(big);
    });
    const plain = await guardedFetch(`${server.url}/big`, { policy: local });
    expect(plain.truncated).toBe(true);
    expect(plain.body.length).toBe(2 * 1024 * 1024);
    // The cap counts what the body decompresses to (3 MB of "a" gzip to a few kilobytes).
    const zipped = await guardedFetch(`${server.url}/gzip`, { policy: local });
    expect(zipped).toMatchObject({ truncated: true });
    expect(zipped.body.length).toBe(2 * 1024 * 1024);
    const small = await guardedFetch(`${server.url}/big`, { policy: local, maxBytes: 1000 });
    expect(small.body.length).toBe(1000);
    const page = await fetchReadablePage(`${server.url}/big`, { policy: local, maxBytes: 10 });
    expect(page).toMatchObject({ text: "aaaaaaaaaa", truncated: true });
  });

  it("gives up at the deadline with a retryable timeout, whether the headers or the body stall", async () => {
    server.handle((request, response) => {
      if (request.url === "/slow-body") {
        response.writeHead(200, { "Content-Type": "text/plain" });
        response.write("first part");
      }
      // Otherwise never answer.
    });
    const headers = await failure(guardedFetch(`${server.url}/hang`, { policy: local, timeoutMs: 300 }));
    expect(headers).toMatchObject({ reason: "timeout", retryable: true });
    const body = await failure(guardedFetch(`${server.url}/slow-body`, { policy: local, timeoutMs: 300 }));
    expect(body).toMatchObject({ reason: "timeout", retryable: true });
  });

  it("honours the caller's AbortSignal with the caller's reason", async () => {
    server.handle(() => undefined);
    const controller = new AbortController();
    const pending = guardedFetch(`${server.url}/hang`, { policy: local, signal: controller.signal });
    const reason = new Error("task cancelled");
    setImmediate(() => controller.abort(reason));
    await expect(pending).rejects.toBe(reason);
  });

  it("refuses content types an agent cannot read, before reading the body", async () => {
    server.handle((request, response) => {
      if (request.url === "/image") response.writeHead(200, { "Content-Type": "image/png" }).end(Buffer.alloc(10, 1));
      else response.writeHead(200, { "Content-Type": "application/octet-stream" }).end(Buffer.from([0, 1, 2, 3]));
    });
    const image = await refusal(guardedFetch(`${server.url}/image`, { policy: local }));
    expect(image).toMatchObject({ reason: "content-type" });
    expect(image.message).toContain("image/png");
    expect((await refusal(guardedFetch(`${server.url}/binary`, { policy: local }))).reason).toBe("content-type");
    server.handle((_request, response) => response.writeHead(200, { "Content-Type": "application/rss+xml" }).end("<rss/>"));
    expect((await guardedFetch(`${server.url}/feed`, { policy: local })).contentType).toBe("application/rss+xml");
  });

  it("follows at most 5 redirects", async () => {
    server.handle((request, response) => {
      const hop = Number(new URL(request.url!, server.url).searchParams.get("hop"));
      const stop = Number(new URL(request.url!, server.url).searchParams.get("stop"));
      if (hop < stop) response.writeHead(302, { Location: `/r?hop=${hop + 1}&stop=${stop}` }).end();
      else response.writeHead(200, { "Content-Type": "text/plain" }).end(`arrived after ${hop}`);
    });
    const five = await guardedFetch(`${server.url}/r?hop=0&stop=5`, { policy: local });
    expect(five).toMatchObject({ redirects: 5, finalUrl: `${server.url}/r?hop=5&stop=5` });
    server.requests.length = 0;
    const six = await refusal(guardedFetch(`${server.url}/r?hop=0&stop=6`, { policy: local }));
    expect(six.reason).toBe("too-many-redirects");
    expect(server.requests).toHaveLength(6);
  });

  it("classifies HTTP errors: 4xx is final, 5xx and 429 may be retried", async () => {
    server.handle((request, response) => response.writeHead(Number(request.url!.slice(1))).end("no"));
    expect(await failure(guardedFetch(`${server.url}/404`, { policy: local }))).toMatchObject({
      reason: "http-status",
      status: 404,
      retryable: false,
    });
    expect(await failure(guardedFetch(`${server.url}/403`, { policy: local }))).toMatchObject({ status: 403, retryable: false });
    expect(await failure(guardedFetch(`${server.url}/503`, { policy: local }))).toMatchObject({ status: 503, retryable: true });
    expect(await failure(guardedFetch(`${server.url}/429`, { policy: local }))).toMatchObject({ status: 429, retryable: true });
  });

  it("refuses URLs that are not http(s), carry credentials or do not parse; names that do not resolve fail", async () => {
    expect((await refusal(guardedFetch("file:///etc/passwd"))).reason).toBe("scheme");
    expect((await refusal(guardedFetch("ftp://example.com/x"))).reason).toBe("scheme");
    const credentials = await refusal(guardedFetch(`http://admin:hunter2@127.0.0.1:${server.port}/`, { policy: local }));
    expect(credentials.reason).toBe("credentials");
    expect(`${credentials.message} ${credentials.url}`).not.toContain("hunter2");
    expect((await refusal(guardedFetch("not a url"))).reason).toBe("invalid-url");
    const dns = resolverOf({});
    expect(await failure(guardedFetch("http://nowhere.example/", { resolver: dns.resolve }))).toMatchObject({
      reason: "dns",
      retryable: false,
    });
    expect(server.requests).toHaveLength(0);
  });
});
