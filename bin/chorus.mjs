#!/usr/bin/env node
// `npx chorus …` / `npm run chorus -- …`: the admin CLI (server/cli/main.ts).
import { runTypeScript } from "./run-ts.mjs";

process.env.LOG_LEVEL ??= "warn";
// runTypeScript moves to the project root: files the user names (chorus eval run --config) are relative to where they are.
process.env.CHORUS_CLI_CWD ??= process.cwd();
await runTypeScript("server/cli/main.ts");
