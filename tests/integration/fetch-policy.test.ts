import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { fetchReadablePage } from "@/server/web/fetch-page";
import { getFetchPolicy, MAX_POLICY_ENTRIES } from "@/server/web/fetch-policy";
import { FetchRefusedError } from "@/server/web/guarded-fetch";
import { createTeamWithMembers } from "../support/fixtures";
import { sessionCookie, useApiServer } from "../support/api-server";
import { startLocalWebServer, type LocalWebServer } from "../support/local-web-server";

/**
 * The team's fetch policy over REST and tRPC: admins replace it, every member reads it, bad
 * entries are a 400 naming the entry, and the fetch tool's view of it (getFetchPolicy) is what
 * lets a team's agents reach its own internal server — and only that team's.
 */
const api = useApiServer();
let keys: Record<"admin" | "user" | "viewer" | "otherAdmin", string>;
let teamId: string;
let otherTeamId: string;
let cookie: string;
let wiki: LocalWebServer;

beforeAll(async () => {
  const { team, callers } = await createTeamWithMembers();
  const other = await createTeamWithMembers();
  teamId = team.id;
  otherTeamId = other.team.id;
  const key = async (forTeam: string, role: "admin" | "user" | "viewer") => (await createApiKey({ teamId: forTeam, role, name: role })).key;
  keys = {
    admin: await key(team.id, "admin"),
    user: await key(team.id, "user"),
    viewer: await key(team.id, "viewer"),
    otherAdmin: await key(other.team.id, "admin"),
  };
  cookie = (await sessionCookie({ userId: callers.admin.userId!, teamId: team.id })).cookie;
  wiki = await startLocalWebServer();
  wiki.handle((_request, response) => response.writeHead(200, { "Content-Type": "text/plain" }).end("internal wiki page"));
});
afterAll(async () => {
  await wiki.close();
});

/** The parts of a REST or tRPC answer these tests read. */
interface Answer {
  allow?: string[];
  deny?: string[];
  error: { code: string; message: string; field?: string; issues?: Array<{ field: string }>; data?: { field?: string } };
  result: { data: unknown };
}

async function rest(method: string, key: string, body?: unknown) {
  const response = await fetch(`${api.baseURL}/api/v1/settings/fetch-policy`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Answer };
}

async function trpc(path: string, key: string, input?: unknown) {
  const query = path === "settings.fetchPolicy";
  const response = await fetch(`${api.baseURL}/api/trpc/${path}`, {
    method: query ? "GET" : "POST",
    headers: { authorization: `Bearer ${key}`, ...(query ? {} : { "content-type": "application/json" }) },
    body: query ? undefined : JSON.stringify(input),
  });
  return { status: response.status, json: (await response.json()) as Answer };
}

describe("REST /api/v1/settings/fetch-policy", () => {
  it("lets an admin replace the policy, stored in canonical form, and every member read it", async () => {
    const put = await rest("PUT", keys.admin, {
      allow: ["Wiki.Corp.Example.", "*.Intranet.Example", "10.20.30.40/16", "10.20.0.0/16"],
      deny: ["[::1]"],
    });
    expect(put.status).toBe(200);
    expect(put.json).toEqual({ allow: ["wiki.corp.example", "*.intranet.example", "10.20.0.0/16"], deny: ["::1"] });
    for (const role of ["admin", "user", "viewer"] as const) {
      const read = await rest("GET", keys[role]);
      expect(read.status, role).toBe(200);
      expect(read.json).toEqual(put.json);
    }
    expect(await getFetchPolicy(teamId)).toEqual(put.json);
    expect(await getFetchPolicy(otherTeamId)).toEqual({ allow: [], deny: [] });
    expect((await rest("GET", keys.otherAdmin)).json).toEqual({ allow: [], deny: [] });
  });

  it("refuses members who are not admins", async () => {
    const before = await getFetchPolicy(teamId);
    for (const role of ["user", "viewer"] as const) {
      const answer = await rest("PUT", keys[role], { allow: ["evil.example"], deny: [] });
      expect(answer.status, role).toBe(403);
      expect(answer.json.error.code).toBe("forbidden");
    }
    expect(await getFetchPolicy(teamId)).toEqual(before);
  });

  it("answers 400 naming each bad entry, too many entries or an unknown field, and changes nothing", async () => {
    const before = await getFetchPolicy(teamId);
    const bad = await rest("PUT", keys.admin, { allow: ["ok.example", "http://wiki.example/path"], deny: ["10.0.0.0/40"] });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe("allow.1");
    expect(bad.json.error.message).toContain('allow.1 "http://wiki.example/path" is a URL; give its host name alone (wiki.example)');
    expect(bad.json.error.issues!.map((issue) => issue.field)).toEqual(["allow.1", "deny.0"]);
    expect(bad.json.error.message).toContain('deny.0 "10.0.0.0/40" has a prefix length longer than an ipv4 address');
    const host = await rest("PUT", keys.admin, { allow: [], deny: ["not a host"] });
    expect(host.json.error).toMatchObject({ code: "bad_request", field: "deny.0" });
    const many = Array.from({ length: MAX_POLICY_ENTRIES / 2 + 1 }, (_, index) => `host${index}.example`);
    const tooMany = await rest("PUT", keys.admin, { allow: many, deny: many.map((host) => `d.${host}`) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.error.message).toContain(`at most ${MAX_POLICY_ENTRIES} entries`);
    const listTooLong = await rest("PUT", keys.admin, { allow: Array.from({ length: MAX_POLICY_ENTRIES + 1 }, (_, i) => `h${i}.example`) });
    expect(listTooLong.json.error).toMatchObject({ code: "bad_request", field: "allow" });
    expect((await rest("PUT", keys.admin, { allow: [], extra: true })).status).toBe(400);
    expect((await rest("PUT", keys.admin, { allow: "wiki.example" })).json.error.field).toBe("allow");
    expect(await getFetchPolicy(teamId)).toEqual(before);
  });

  it("refuses a cross-site browser write but takes the admin's own page's", async () => {
    const body = JSON.stringify({ allow: ["browser.example"], deny: [] });
    const crossSite = await fetch(`${api.baseURL}/api/v1/settings/fetch-policy`, {
      method: "PUT",
      headers: { cookie, origin: "https://evil.example", "content-type": "application/json" },
      body,
    });
    expect(crossSite.status).toBe(403);
    const own = await fetch(`${api.baseURL}/api/v1/settings/fetch-policy`, {
      method: "PUT",
      headers: { cookie, origin: api.baseURL, "content-type": "application/json" },
      body,
    });
    expect(own.status).toBe(200);
    expect((await getFetchPolicy(teamId)).allow).toEqual(["browser.example"]);
  });
});

describe("tRPC settings.fetchPolicy / settings.updateFetchPolicy", () => {
  it("reads and replaces the policy with the same rules", async () => {
    const updated = await trpc("settings.updateFetchPolicy", keys.admin, { allow: ["127.0.0.1"], deny: ["*.ads.example"] });
    expect(updated.status).toBe(200);
    expect(updated.json.result.data).toEqual({ allow: ["127.0.0.1"], deny: ["*.ads.example"] });
    expect((await trpc("settings.fetchPolicy", keys.viewer)).json.result.data).toEqual({ allow: ["127.0.0.1"], deny: ["*.ads.example"] });
    expect((await trpc("settings.updateFetchPolicy", keys.user, { allow: [], deny: [] })).status).toBe(403);
    const bad = await trpc("settings.updateFetchPolicy", keys.admin, { allow: ["*foo.example"], deny: [] });
    expect(bad.status).toBe(400);
    expect(bad.json.error.data!.field).toBe("allow.0");
    expect(bad.json.error.message).toContain("may use * only as its whole first label");
  });

  it("is what lets this team's fetches, and only this team's, reach its internal server", async () => {
    const ours = await fetchReadablePage(`${wiki.url}/page`, { policy: await getFetchPolicy(teamId) });
    expect(ours.text).toBe("internal wiki page");
    const theirs = fetchReadablePage(`${wiki.url}/page`, { policy: await getFetchPolicy(otherTeamId) });
    await expect(theirs).rejects.toBeInstanceOf(FetchRefusedError);
    expect(wiki.requests).toHaveLength(1);
  });
});
