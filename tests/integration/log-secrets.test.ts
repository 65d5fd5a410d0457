import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { authenticateWithPassword } from "@/server/auth/password-sign-in";
import { createUserInTeam } from "@/server/teams/teams";
import { useApiServer } from "../support/api-server";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { useOpenAiWireServer } from "../support/openai-wire-server";

/**
 * No log line ever carries a credential: with an instance provider key, a master key, a
 * member's password and a team API key all in play, a real task runs through the REST API on a
 * real model client (a local server speaking OpenAI's wire format), a sign-in succeeds and one
 * fails, a request comes with a wrong key — everything Chorus writes to stdout and stderr at
 * debug level is captured and searched for each secret. And every line written while a request
 * is answered names that request.
 */
process.env.LOG_LEVEL = "debug";
// Not shaped like a provider key (`sk-…`): only its registration keeps it out of the log.
const PROVIDER_KEY = "wire-provider-key-0123456789abcdef";
process.env.OPENAI_API_KEY = PROVIDER_KEY;
const PASSWORD = "correct horse battery staple 42";

const wire = useOpenAiWireServer();
useEmbeddedExecutor(8);
const api = useApiServer();

const output: string[] = [];
const originalWrites = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) };

beforeAll(() => {
  for (const stream of ["stdout", "stderr"] as const) {
    const original = originalWrites[stream];
    process[stream].write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      output.push(String(chunk));
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
  }
});

afterAll(() => {
  process.stdout.write = originalWrites.stdout;
  process.stderr.write = originalWrites.stderr;
  delete process.env.OPENAI_API_KEY;
});

/** The JSON lines captured so far (other output, such as vitest's, is skipped). */
function logLines(): Record<string, unknown>[] {
  return output
    .join("")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

describe("what Chorus logs", () => {
  it("never contains an API key, a password, a provider key or the master key, through a whole task", async () => {
    const { team } = await createTeamWithMembers();
    const email = `logs-${team.slug}@test.dev`;
    await createUserInTeam({ email, password: PASSWORD, teamId: team.id, role: "user" });
    expect(await authenticateWithPassword({ email, password: PASSWORD, address: "127.0.0.1" })).toMatchObject({ outcome: "signed-in" });
    await authenticateWithPassword({ email, password: `${PASSWORD}!`, address: "127.0.0.1" });

    const { key } = await createApiKey({ teamId: team.id, role: "admin", name: "log test" });
    const auth = { Authorization: `Bearer ${key}`, "Content-Type": "application/json" };
    const created = await fetch(`${api.baseURL}/api/v1/tasks`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ prompt: "Research and summarise rainwater tanks." }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(await waitForTaskStatus(id, ["completed", "failed"], 30_000)).toBe("completed");
    const events = await fetch(`${api.baseURL}/api/tasks/${id}/events`, { headers: auth });
    expect(events.status).toBe(200);
    await events.body?.cancel();
    expect((await fetch(`${api.baseURL}/api/v1/tasks/${id}`, { headers: auth })).status).toBe(200);
    const wrongKey = `${key.slice(0, -4)}abcd`;
    expect((await fetch(`${api.baseURL}/api/v1/tasks`, { headers: { Authorization: `Bearer ${wrongKey}` } })).status).toBe(401);

    const lines = logLines();
    // The flow really ran on the provider and was logged, so the search below means something.
    expect(wire.requests.length).toBeGreaterThan(0);
    expect(lines.filter((line) => line.message === "request answered").length).toBeGreaterThanOrEqual(4);
    const text = output.join("");
    const secrets = { apiKey: key, wrongKey, password: PASSWORD, providerKey: PROVIDER_KEY, masterKey: process.env.CHORUS_MASTER_KEY! };
    for (const [name, secret] of Object.entries(secrets)) expect(text.includes(secret), `${name} appears in the log`).toBe(false);
    // Nor the API key's secret part alone: the 32 characters after `chorus_<prefix>_` (they may hold "_" themselves).
    expect(text).not.toContain(key.slice("chorus_".length + 8 + 1));
  });

  it("keeps the time, level and message fields, and names the request on each line written while answering it", async () => {
    const requestId = "proxy-assigned.id:0042";
    const answer = await fetch(`${api.baseURL}/api/v1/tasks`, { headers: { "X-Request-Id": requestId, Authorization: "Bearer nope" } });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("x-request-id")).toBe(requestId);
    const mine = logLines().filter((line) => line.requestId === requestId);
    expect(mine.length).toBeGreaterThan(0);
    for (const line of mine) {
      expect(typeof line.time).toBe("string");
      expect(new Date(line.time as string).toISOString()).toBe(line.time);
      expect(["debug", "info", "warn", "error"]).toContain(line.level);
      expect(typeof line.message).toBe("string");
    }

    // An id that is not sane (too long, odd characters) is replaced by a fresh one.
    const odd = await fetch(`${api.baseURL}/api/health`, { headers: { "X-Request-Id": "a b\tc<script>" } });
    expect(odd.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const fresh = await fetch(`${api.baseURL}/api/health`);
    expect(fresh.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(fresh.headers.get("x-request-id")).not.toBe(odd.headers.get("x-request-id"));
  });
});
