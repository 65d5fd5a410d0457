import { statSync } from "node:fs";
import path from "node:path";

/**
 * As root, the embedded Postgres runs as the `postgres` system user, which must be able to walk
 * down to its binaries (in node_modules) and its cluster (in the data dir). A checkout under a
 * directory only root may enter — `/root/chorus`, or a `mktemp -d` directory (mode 0700) — made
 * `initdb` fail with a bare EACCES from a child process, which no caller can catch. This finds
 * the first directory on a path that other users cannot enter, so start-up can say what to do.
 */
export function firstUnenterableDirectory(target: string): string | undefined {
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  const directories = parts.map((_, index) => path.join(path.sep, ...parts.slice(0, index + 1)));
  for (const current of [path.sep, ...directories]) {
    let mode: number;
    try {
      mode = statSync(current).mode;
    } catch {
      return undefined; // not there yet (a data dir about to be made): its parents were checked
    }
    if ((mode & 0o001) === 0) return current;
  }
  return undefined;
}
