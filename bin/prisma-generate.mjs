#!/usr/bin/env node
// `prisma generate` without network: Prisma's CLI insists on downloading its schema engine
// unless PRISMA_SCHEMA_ENGINE_BINARY names a file; generate never runs that engine, so any
// existing file will do. (Migrations are applied by server/db/migrate.ts, not the CLI.)
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? fileURLToPath(import.meta.url),
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
};
const result = spawnSync("npx", ["--no-install", "prisma", "generate"], { stdio: "inherit", env });
process.exit(result.status ?? 1);
