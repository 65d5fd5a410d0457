import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

export default defineConfig({
  resolve: {
    alias: {
      "@": fileURLToPath(new URL("./", import.meta.url)),
      // Tests run server modules as the server does: `import "server-only"` is the empty module
      // Next's server bundles get (bin/server-only-outside-next.mjs does the same for tsx).
      "server-only": fileURLToPath(new URL("./node_modules/server-only/empty.js", import.meta.url)),
    },
  },
  test: {
    include: ["tests/unit/**/*.test.ts", "tests/integration/**/*.test.ts"],
    globalSetup: ["tests/support/global-setup.ts"],
    setupFiles: ["tests/support/database-per-file.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: false,
    // next-auth's ESM imports `next/server` without an extension, which Node's resolver refuses
    // (next has no exports map); run through Vite, it resolves, so tests can call its route handlers.
    // @actions/workflow-parser imports its JSON schema without `with { type: "json" }`, which Node 20 refuses; Vite's import works.
    server: { deps: { inline: ["next-auth", "@actions/workflow-parser"] } },
  },
});
