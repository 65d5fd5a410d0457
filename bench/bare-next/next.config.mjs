import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Chorus's own Next.js (the repository root's node_modules), built and started from this folder. */
const config = { poweredByHeader: false, turbopack: { root }, outputFileTracingRoot: root };
export default config;
