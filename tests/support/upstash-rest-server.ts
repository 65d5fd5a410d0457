import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient, ErrorReply, MultiErrorReply, RESP_TYPES } from "@redis/client";

/**
 * A stand-in for Upstash: a real `redis-server` (Debian's, started here on a Unix socket in a
 * temp dir) behind a small HTTP server speaking Upstash's REST wire format, as @upstash/redis
 * uses it (read in node_modules/@upstash/redis: `HttpClient.request` and the commands):
 *
 * - `POST /` with a JSON array `["EVALSHA", sha, numkeys, ...keys, ...args]` → 200 `{ result }`,
 *   or 400 `{ error }` with Redis's error text (the client looks for "NOSCRIPT" in it);
 * - `POST /pipeline` (an array of such arrays) → 200 and an array of `{ result }` / `{ error }`,
 *   each command on its own; `POST /multi-exec` → the same, inside MULTI/EXEC;
 * - `Authorization: Bearer <token>`, else 401; with `Upstash-Encoding: base64` (the client's
 *   default) every string in a result is base64 except a plain "OK", as the client decodes it.
 *
 * Arguments arrive as JSON strings and numbers and go to Redis as strings. Replies come back
 * from Redis (RESP2, bulk strings as bytes) and are written as JSON: integers as numbers, nil
 * as null, arrays as arrays.
 *
 * Lua shebangs: every script of @upstash/ratelimit 2.2 starts `#!lua flags=allow-key-locking`,
 * a flag Upstash's servers know and Redis 7.0 refuses ("Unexpected flag in script shebang").
 * Before EVAL / EVAL_RO / SCRIPT LOAD reach Redis, flags Redis 7.0 does not know are dropped
 * from the first line (it stays `#!lua`, so line numbers and shebang-mode semantics are kept),
 * nothing else changes. The client names scripts by the SHA1 of the text it has, so this keeps
 * a map from that SHA to the SHA of what Redis loaded: EVALSHA of a script that went through
 * EVAL here is sent under Redis's SHA, an unknown one as it is (Redis answers NOSCRIPT, the
 * client falls back to EVAL, which loads it), SCRIPT LOAD answers the client's SHA, and SCRIPT
 * EXISTS asks about the mapped SHAs. Scripts without such a flag pass untouched.
 */
const REDIS_7_0_SCRIPT_FLAGS = new Set(["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"]);

export interface UpstashRestServer {
  url: string;
  token: string;
  /** Names of the commands received, in order (`EVALSHA`, `EVAL`, …), for tests to inspect. */
  commands: string[];
  /** Runs a command on the Redis behind it directly. */
  redis(args: string[]): Promise<unknown>;
  stop(): Promise<void>;
}

export function redisServerPath(): string {
  const found = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).stdout.trim();
  if (!found) {
    throw new Error(
      "redis-server is not installed: the Upstash/Redis rate-limit tests run against a real Redis. Install it with `apt-get install redis-server`.",
    );
  }
  return found;
}

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

function withoutUnknownFlags(script: string): string {
  const shebang = /^#!lua flags=([^\n]*)/.exec(script);
  if (!shebang) return script;
  const kept = shebang[1]!
    .split(",")
    .map((flag) => flag.trim())
    .filter((flag) => REDIS_7_0_SCRIPT_FLAGS.has(flag));
  return `${kept.length > 0 ? `#!lua flags=${kept.join(",")}` : "#!lua"}${script.slice(shebang[0].length)}`;
}

function encode(reply: unknown, base64: boolean): unknown {
  if (Buffer.isBuffer(reply)) return base64 ? reply.toString("base64") : reply.toString("utf8");
  if (typeof reply === "string") return base64 && reply !== "OK" ? Buffer.from(reply).toString("base64") : reply;
  if (Array.isArray(reply)) return reply.map((item) => encode(item, base64));
  return reply ?? null;
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of request) body += String(chunk);
  return body;
}

async function waitForRedis(socketPath: string, child: ChildProcess) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const probe = createClient({ socket: { path: socketPath, tls: false, reconnectStrategy: false } });
    probe.on("error", () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.destroy();
      return;
    } catch {
      // A refused connection may leave the client closed already: destroying it again throws.
      if (probe.isOpen) probe.destroy();
      if (Date.now() > deadline) throw new Error("redis-server did not accept connections within 10 s");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export async function startUpstashRestServer(options: { token?: string } = {}): Promise<UpstashRestServer> {
  const executable = redisServerPath();
  const dir = await mkdtemp(path.join(tmpdir(), "chorus-redis-"));
  const socketPath = path.join(dir, "redis.sock");
  const child = spawn(
    executable,
    [
      "--port",
      "0",
      "--unixsocket",
      socketPath,
      "--unixsocketperm",
      "700",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--loglevel",
      "warning",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  await waitForRedis(socketPath, child);

  const connection = createClient({ socket: { path: socketPath, tls: false } });
  connection.on("error", () => undefined);
  await connection.connect();
  // Bulk strings as bytes, so that binary values survive to the base64 encoding.
  const client = connection.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });

  const token = options.token ?? "chorus-test-token";
  const commands: string[] = [];
  /** The client's SHA1 of a script → the SHA1 of the text Redis loaded. */
  const loadedAs = new Map<string, string>();

  /** The command as Redis 7.0 takes it, and what to do to its reply. */
  function forRedis(args: string[]): { args: string[]; reply: (value: unknown) => unknown } {
    const name = args[0]!.toUpperCase();
    const same = (value: unknown) => value;
    const load = (script: string) => {
      const loaded = withoutUnknownFlags(script);
      if (loaded !== script) loadedAs.set(sha1(script), sha1(loaded));
      return loaded;
    };
    const mapped = (sha: string) => loadedAs.get(sha.toLowerCase()) ?? sha;
    if ((name === "EVAL" || name === "EVAL_RO") && args.length > 1)
      return { args: [args[0]!, load(args[1]!), ...args.slice(2)], reply: same };
    if ((name === "EVALSHA" || name === "EVALSHA_RO") && args.length > 1)
      return { args: [args[0]!, mapped(args[1]!), ...args.slice(2)], reply: same };
    if (name === "SCRIPT" && args[1]?.toUpperCase() === "LOAD" && args.length === 3) {
      return { args: [args[0]!, args[1]!, load(args[2]!)], reply: () => sha1(args[2]!) };
    }
    if (name === "SCRIPT" && args[1]?.toUpperCase() === "EXISTS")
      return { args: [...args.slice(0, 2), ...args.slice(2).map(mapped)], reply: same };
    return { args, reply: same };
  }

  function commandOf(value: unknown): string[] {
    if (!Array.isArray(value) || value.length === 0) throw new ErrorReply("ERR a command is a non-empty JSON array");
    return value.map((item) => (typeof item === "string" ? item : JSON.stringify(item)));
  }

  async function run(args: string[]): Promise<unknown> {
    commands.push(args[0]!.toUpperCase());
    const command = forRedis(args);
    return command.reply(await client.sendCommand(command.args));
  }

  async function multiExec(list: string[][]): Promise<Array<{ result?: unknown; error?: string }>> {
    const multi = client.multi();
    const replies = list.map((args) => {
      commands.push(args[0]!.toUpperCase());
      const command = forRedis(args);
      multi.addCommand(command.args);
      return command.reply;
    });
    let results: unknown[];
    try {
      results = await multi.exec();
    } catch (error) {
      if (!(error instanceof MultiErrorReply)) throw error;
      results = error.replies;
    }
    return results.map((value, index) => (value instanceof ErrorReply ? { error: value.message } : { result: replies[index]!(value) }));
  }

  function send(response: ServerResponse, status: number, body: unknown) {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  }

  const answer = async (request: IncomingMessage, response: ServerResponse) => {
    try {
      if (request.method !== "POST") return send(response, 405, { error: "only POST is served here" });
      if (request.headers.authorization !== `Bearer ${token}`) return send(response, 401, { error: "Unauthorized" });
      const base64 = String(request.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
      const body: unknown = JSON.parse(await readBody(request));
      const pathname = new URL(request.url ?? "/", "http://localhost").pathname;
      if (pathname === "/") {
        try {
          return send(response, 200, { result: encode(await run(commandOf(body)), base64) });
        } catch (error) {
          if (error instanceof ErrorReply) return send(response, 400, { error: error.message });
          throw error;
        }
      }
      if (pathname === "/pipeline" || pathname === "/multi-exec") {
        if (!Array.isArray(body)) return send(response, 400, { error: "ERR a pipeline is a JSON array of commands" });
        const list = body.map(commandOf);
        const results: Array<{ result?: unknown; error?: string }> =
          pathname === "/pipeline"
            ? await Promise.all(
                list.map((args) =>
                  run(args).then(
                    (result) => ({ result }),
                    (error: Error) => ({ error: error.message }),
                  ),
                ),
              )
            : await multiExec(list);
        return send(
          response,
          200,
          results.map((entry) => (entry.error !== undefined ? { error: entry.error } : { result: encode(entry.result, base64) })),
        );
      }
      return send(response, 404, { error: `no such endpoint: ${pathname}` });
    } catch (error) {
      send(response, error instanceof SyntaxError || error instanceof ErrorReply ? 400 : 500, { error: (error as Error).message });
    }
  };
  const server = createServer((request, response) => void answer(request, response));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    commands,
    redis: (args) => connection.sendCommand(args),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      connection.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
