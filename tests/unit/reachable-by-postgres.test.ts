import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { firstUnenterableDirectory } from "@/server/db/reachable-by-postgres";

/** A checkout under a directory only its owner may enter is found before Postgres is started as another user. */
describe("firstUnenterableDirectory", () => {
  const root = mkdtempSync(path.join(tmpdir(), "chorus-reach-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("names the first directory on the way that others cannot enter", () => {
    const privateDir = path.join(root, "private");
    const inside = path.join(privateDir, "chorus", "node_modules");
    mkdirSync(inside, { recursive: true });
    chmodSync(root, 0o755);
    chmodSync(privateDir, 0o700);
    expect(firstUnenterableDirectory(inside)).toBe(privateDir);
    expect(firstUnenterableDirectory(path.join(inside, "not-made-yet", "pg"))).toBe(privateDir);
  });

  it("finds nothing when every directory on the way may be entered", () => {
    const open = path.join(root, "open", "chorus");
    mkdirSync(open, { recursive: true });
    chmodSync(root, 0o755);
    chmodSync(path.join(root, "open"), 0o755);
    chmodSync(open, 0o755);
    expect(firstUnenterableDirectory(open)).toBeUndefined();
    expect(firstUnenterableDirectory(path.join(open, ".data"))).toBeUndefined();
  });
});
