/**
 * The bare Next.js baseline (bench/bare-next: one static JSON route, built with Chorus's own
 * Next.js): built once, kept until its route changes, started with `next start`.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { BENCH_ROOT, REPO_ROOT } from "./paths";
import { sleep } from "./report";

const NEXT_BIN = path.join(REPO_ROOT, "node_modules", "next", "dist", "bin", "next");
const BARE_DIR = path.join(BENCH_ROOT, "bare-next");

/** Resolves once `/api/static` answers 200 (polled every `pollMs`). */
export async function startBareNext(port: number, options: { pollMs?: number } = {}): Promise<ChildProcess> {
  const pollMs = options.pollMs ?? 100;
  const built = path.join(BARE_DIR, ".next", "BUILD_ID");
  if (!existsSync(built)) {
    const build = spawnSync(process.execPath, [NEXT_BIN, "build", BARE_DIR], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    });
    if (build.status !== 0) throw new Error(`next build bench/bare-next failed:\n${build.stdout}\n${build.stderr}`);
  }
  const child = spawn(process.execPath, [NEXT_BIN, "start", BARE_DIR, "-p", String(port), "-H", "127.0.0.1"], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
    stdio: "ignore",
  });
  for (let waited = 0; waited < 30_000; waited += pollMs) {
    const ok = await fetch(`http://127.0.0.1:${port}/api/static`).then(
      async (response) => (await response.arrayBuffer(), response.ok),
      () => false,
    );
    if (ok) return child;
    await sleep(pollMs);
  }
  child.kill("SIGKILL");
  throw new Error("the bare Next.js app did not start");
}
