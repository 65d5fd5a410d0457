/**
 * Prints this process's readiness report as one JSON line, for tests that need a process of
 * its own configuration (a database that is not there) without disturbing theirs.
 */
import { checkReadiness } from "@/server/http/readiness";
import { closeDb } from "@/server/db/client";

const report = await checkReadiness();
process.stdout.write(`READINESS ${JSON.stringify(report)}\n`);
await closeDb().catch(() => undefined);
process.exit(0);
