#!/usr/bin/env node
// `npm start`: builds the Next.js app when the build is missing or older than the sources,
// then runs Chorus (server/main.ts) in production mode.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { enableTypeScript, projectRoot, runTypeScript } from "./run-ts.mjs";

// Check the configuration before spending a minute on a build it would fail after.
await enableTypeScript();
const { parseEnv } = await import(path.join(projectRoot, "server/env.ts"));
try {
  parseEnv(process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

const sources = [
  "app",
  "components",
  "server",
  "inngest",
  "public",
  "next.config.ts",
  "postcss.config.mjs",
  "package-lock.json",
  "prisma/schema.prisma",
  "tsconfig.json",
];

function newestMtime(target) {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(target)) {
    if (entry === "generated" || entry === "node_modules") continue;
    newest = Math.max(newest, newestMtime(path.join(target, entry)));
  }
  return newest;
}

const buildId = path.join(projectRoot, ".next", "BUILD_ID");
const builtAt = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
const sourcesAt = Math.max(...sources.map((source) => newestMtime(path.join(projectRoot, source))));
if (builtAt < sourcesAt || process.argv.includes("--rebuild")) {
  console.log(
    builtAt ? "Sources changed since the last build: rebuilding Chorus…" : "First start: building Chorus (takes a minute or two)…",
  );
  const env = { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" };
  const built = spawnSync("npm", ["run", "build", "--silent"], { cwd: projectRoot, stdio: "inherit", env });
  if (built.status !== 0) {
    console.error("The build failed; see the output above.");
    process.exit(built.status ?? 1);
  }
}

process.env.NODE_ENV = "production";
process.env.NEXT_TELEMETRY_DISABLED = "1";
await runTypeScript("server/main.ts");
