import path from "node:path";
import { fileURLToPath } from "node:url";

/** bench/ */
export const BENCH_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The Chorus repository root (bench/..). */
export const REPO_ROOT = path.resolve(BENCH_ROOT, "..");
