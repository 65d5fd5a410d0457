import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { encode } from "next-auth/jwt";
import { afterAll, beforeAll } from "vitest";
import { insertSession } from "@/server/db/queries/sessions";
import { answerBeforeNext, answerParserErrors } from "@/server/runtime/front-door";
import { loadApiHeaders } from "@/server/http/json-response";

/**
 * Chorus's API front door on a real node:http server, as `npm start` wires it, for the test file:
 * whatever it leaves to Next.js (pages, /api/auth, /api/inngest) is answered 599 here.
 */
export function useApiServer() {
  process.env.AUTH_SECRET ??= randomBytes(32).toString("base64url");
  let server: Server | undefined;
  const state = { baseURL: "" };
  beforeAll(async () => {
    await loadApiHeaders();
    server = createServer((request, response) => {
      // The peer's address, as `npm start` records it (server/main.ts).
      request.headers["x-chorus-client-address"] = request.socket.remoteAddress ?? "";
      if (answerBeforeNext(request, response)) return;
      response.writeHead(599).end("next");
    });
    answerParserErrors(server);
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    state.baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });
  return state;
}

/** A signed-in browser's cookie for a member, made the way Auth.js makes it (and its Session row). */
export async function sessionCookie(member: { userId: string; teamId: string }): Promise<{ cookie: string; sessionId: string }> {
  const sessionId = randomBytes(24).toString("base64url");
  await insertSession({ sessionId, userId: member.userId, expires: new Date(Date.now() + 60 * 60 * 1000) });
  const salt = "authjs.session-token";
  const token = await encode({
    salt,
    secret: process.env.AUTH_SECRET!,
    token: { sub: member.userId, teamId: member.teamId, sid: sessionId },
  });
  return { cookie: `${salt}=${token}`, sessionId };
}
