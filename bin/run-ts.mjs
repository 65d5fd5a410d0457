// Runs one of Chorus's TypeScript entry points with tsx, from the project root (so
// CHORUS_DATA_DIR, prisma/migrations and tsconfig paths resolve the same from any folder).
import path from "node:path";
import { fileURLToPath } from "node:url";

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

let registered = false;

/**
 * Lets this process import the project's TypeScript (tsx, with the tsconfig's `@/` paths) and its
 * server modules (`import "server-only"` resolves to nothing, as in Next's server bundles).
 */
export async function enableTypeScript() {
  if (registered) return;
  registered = true;
  process.env.CHORUS_DATA_DIR = process.env.CHORUS_DATA_DIR
    ? path.resolve(process.cwd(), process.env.CHORUS_DATA_DIR)
    : path.join(projectRoot, ".data");
  process.chdir(projectRoot);
  await import("./server-only-outside-next.mjs");
  const { register } = await import("tsx/esm/api");
  register({ tsconfig: path.join(projectRoot, "tsconfig.json") });
}

export async function runTypeScript(relativeEntry) {
  await enableTypeScript();
  await import(path.join(projectRoot, relativeEntry));
}
