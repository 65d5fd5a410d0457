import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { createClient } from "@redis/client";
import { redisServerPath } from "./upstash-rest-server";

/**
 * A real Redis for a test file: Debian's `redis-server`, on a free TCP port of 127.0.0.1, nothing
 * persisted. `stop()` kills it (and a test can kill it mid-file to see Chorus carry on without it).
 */
export async function startRedisServer() {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
  const child = spawn(redisServerPath(), ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const probe = createClient({ url, socket: { reconnectStrategy: false } });
    probe.on("error", () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.destroy();
      break;
    } catch {
      if (probe.isOpen) probe.destroy();
      if (Date.now() > deadline) throw new Error("redis-server did not accept connections within 10 s");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}
