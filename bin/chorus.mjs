#!/usr/bin/env node
// `npx chorus …` / `npm run chorus -- …`: the admin CLI (server/cli/main.ts).
import { runTypeScript } from "./run-ts.mjs";

process.env.LOG_LEVEL ??= "warn";
await runTypeScript("server/cli/main.ts");
