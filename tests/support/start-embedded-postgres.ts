/**
 * Starts Chorus's embedded Postgres in the data dir given as the first argument, runs one
 * statement, stops it, and prints what it saw as one JSON line. Run as a separate process (and,
 * from a root test run, as an unprivileged user) by tests/integration/start-up.test.ts.
 */
import pg from "pg";
import { startEmbeddedPostgres } from "@/server/db/embedded";

const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: start-embedded-postgres.ts <data dir>");
const postgres = await startEmbeddedPostgres({ dataDir, ownsCluster: true });
const client = new pg.Client({ connectionString: postgres.url });
await client.connect();
const { rows } = await client.query<{ answer: number }>("SELECT 6 * 7 AS answer");
await client.end();
await postgres.stop();
console.log(JSON.stringify({ uid: process.getuid?.(), started: postgres.started, answer: rows[0]!.answer }));
