/**
 * Runs the tests' Upstash REST stand-in (tests/support/upstash-rest-server.ts: Debian's
 * redis-server behind Upstash's REST protocol) in a process of its own, so a benchmark can
 * measure the client's CPU apart from the server's. Prints `{"url","token"}`, stops when stdin closes.
 */
import { startUpstashRestServer } from "../../tests/support/upstash-rest-server";

const server = await startUpstashRestServer();
process.stdout.write(`${JSON.stringify({ url: server.url, token: server.token })}\n`);
process.stdin.resume();
process.stdin.on("end", () => void server.stop().then(() => process.exit(0)));
