import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { getEnv } from "@/server/env";

/**
 * Local mode of `chorus eval run` (no --url): Chorus's API on this installation, inside the CLI's
 * process, so the gate takes the same REST path as against a remote server. It connects to the
 * database `npm start` uses (DATABASE_URL, or the embedded Postgres in CHORUS_DATA_DIR — adopted
 * when a server is running on it, started and stopped around the run when not), serves the API
 * front door (no Next: the CLI needs no pages) on 127.0.0.1 at a free port, runs an embedded
 * executor (a running server's executor shares the work through the runs' leases, as workers do),
 * and mints an API key for the team that expires on its own and is revoked when the run ends.
 */

export interface LocalChorus {
  url: string;
  apiKey: string;
  stop(): Promise<void>;
}

export async function startLocalChorus(options: { teamSlug: string; keyLifetimeMs: number }): Promise<LocalChorus> {
  const env = getEnv();
  const { loadOrCreateAuthSecret } = await import("@/server/runtime/auth-secret");
  process.env.AUTH_SECRET = env.AUTH_SECRET ?? (await loadOrCreateAuthSecret(env.CHORUS_DATA_DIR));
  const { prepareDatabase } = await import("@/server/runtime/database");
  const database = await prepareDatabase(getEnv(), { ownsCluster: false });
  const stops: (() => Promise<void>)[] = [() => database.stop()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const { announceRunEvents, closeDb, getPool } = await import("@/server/db/client");
    stops.push(closeDb);
    // A server that shares this database hears the tasks' events as it hears another worker's.
    announceRunEvents(!database.startedHere);
    const { getTeamBySlug } = await import("@/server/teams/teams");
    const team = await getTeamBySlug(options.teamSlug);

    if (getEnv().INNGEST_MODE === "embedded") {
      const { startExecutor } = await import("@/server/runtime/executor");
      stops.push(await startExecutor({ pool: getPool(), concurrency: getEnv().CHORUS_EXECUTOR_CONCURRENCY }));
    }

    const { loadApiHeaders } = await import("@/server/http/json-response");
    await loadApiHeaders();
    const { answerBeforeNext, answerParserErrors } = await import("@/server/runtime/front-door");
    const { CLIENT_ADDRESS_HEADER } = await import("@/server/auth/sign-in-throttle");
    const server = createServer((request, response) => {
      request.headers[CLIENT_ADDRESS_HEADER] = request.socket.remoteAddress ?? "";
      if (!answerBeforeNext(request, response))
        response
          .writeHead(404, { "content-type": "application/json" })
          .end('{"error":{"code":"not_found","message":"Only the API is served in local mode"}}');
    });
    answerParserErrors(server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    stops.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const { createApiKey, revokeApiKey } = await import("@/server/auth/api-keys");
    const { recordAudit } = await import("@/server/audit/record-audit");
    const { key, record } = await createApiKey({
      teamId: team.id,
      role: "user",
      name: "chorus eval run (local)",
      expiresAt: new Date(Date.now() + options.keyLifetimeMs),
    });
    const audited = (action: "api_key.created" | "api_key.revoked") =>
      recordAudit(
        { teamId: team.id, actor: "cli" },
        { action, target: { type: "api_key", id: record.id }, details: { name: record.name, role: record.role } },
      );
    await audited("api_key.created");
    stops.push(async () => {
      if (await revokeApiKey(team.id, record.id)) await audited("api_key.revoked");
    });

    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: key, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
