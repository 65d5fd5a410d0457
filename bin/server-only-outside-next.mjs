// Lets Node run Chorus's server modules outside Next.js: the custom server, the CLI and scripts
// tsx runs (`--import ./bin/server-only-outside-next.mjs`). Modules that must never reach a
// browser bundle `import "server-only"`; Next.js maps that import per bundle and fails the build
// when a client component reaches it, but plain Node resolves it to the package's default export,
// which throws. Here every process is a server, so it resolves the way Next's server bundles do:
// under the package's "react-server" condition, to its empty module. Only that one specifier is
// touched — adding the condition process-wide (`node --conditions=react-server`) would also give
// react-dom/server and Next's own runtime their Server Components builds.
import { register } from "node:module";
import { isMainThread } from "node:worker_threads";

// Node runs resolve hooks on a thread of their own, which loads this file again: register once.
if (isMainThread) register(import.meta.url);

export async function resolve(specifier, context, nextResolve) {
  if (specifier !== "server-only") return nextResolve(specifier, context);
  return nextResolve(specifier, { ...context, conditions: [...context.conditions, "react-server"] });
}
