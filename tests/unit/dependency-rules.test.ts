import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ICruiseResult } from "dependency-cruiser";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Runs dependency-cruiser's CLI as `npm run depcruise` does, with JSON output. */
function cruise(): Promise<ICruiseResult> {
  const args = [
    "node_modules/dependency-cruiser/bin/dependency-cruise.mjs",
    "--config",
    ".dependency-cruiser.cjs",
    "--output-type",
    "json",
  ];
  return new Promise((resolve, reject) => {
    // The exit code is the number of errors: read the result either way.
    execFile(
      process.execPath,
      [...args, "app", "components", "server", "inngest"],
      { cwd: root, maxBuffer: 256 << 20 },
      (error, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout) as ICruiseResult);
        } catch {
          reject(error ?? new Error(`dependency-cruiser printed no result: ${stderr}`));
        }
      },
    );
  });
}

/**
 * The module boundaries in .dependency-cruiser.cjs: no cycles, dependencies pointing down the
 * layers, the model layer not knowing agents, the executor standing alone. A failure lists
 * each offending import and the rule it breaks.
 */
describe("module boundaries", () => {
  it("no import breaks the dependency rules", async () => {
    const { summary } = await cruise();
    const violations = summary.violations
      .filter((violation) => violation.rule.severity === "error")
      .map(
        (violation) =>
          `${violation.rule.name}: ${violation.from} → ${violation.to}${violation.cycle ? ` (cycle: ${violation.cycle.map((step) => step.name).join(" → ")})` : ""}`,
      );
    expect(violations).toEqual([]);
    expect(summary.totalCruised).toBeGreaterThan(100); // it did look at the code
  }, 60_000);
});
