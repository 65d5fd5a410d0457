import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/**
 * A client component that imports a server module fails `next build`: server/env.ts (every
 * setting and secret) and server/db/client.ts (the database) `import "server-only"`, and so
 * every module that reads configuration or reaches the database carries the guard. Built with
 * Next itself, on a small app beside the real one (tests/fixtures/client-imports-server).
 */
const fixture = path.resolve("tests/fixtures/client-imports-server");

async function buildFixture(): Promise<{ failed: boolean; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.resolve("node_modules/next/dist/bin/next"), "build"], {
      cwd: fixture,
      env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", NO_COLOR: "1", FORCE_COLOR: "0" },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 240_000,
    });
    return { failed: false, output: stdout + stderr };
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    return { failed: true, output: stdout + stderr };
  } finally {
    await rm(path.join(fixture, ".next"), { recursive: true, force: true });
  }
}

describe("server modules in a client component", () => {
  it("fail the build, naming the guarded module and the component; browser-safe modules pass", { timeout: 300_000 }, async () => {
    const { failed, output } = await buildFixture();
    expect(failed, output).toBe(true);
    // Each error is a block: the module, the message, the import traces.
    const guardErrors = output
      .split(/\n{3,}/)
      .filter((block) => block.includes("'server-only' cannot be imported from a Client Component module"))
      .map((block) => {
        const guarded = block
          .trim()
          .split("\n")[0]!
          .replace(/:\d+:\d+$/, "");
        const component = /\/client-imports-server\/app\/([\w-]+\.jsx) \[Client Component Browser\]/.exec(block)?.[1];
        return `${component} → ${guarded}`;
      });
    expect(guardErrors.sort(), output).toEqual(["config-leak.jsx → ./server/env.ts", "database-leak.jsx → ./server/db/client.ts"]);
    expect(output).not.toContain("vocabulary.jsx");
  });
});
