import { serve } from "inngest/next";
import { inngest } from "@/inngest/client";
import { functions } from "@/inngest/functions";
import { refuseOtherMethods } from "@/server/http/methods";

/**
 * Server mode (INNGEST_MODE=server): Inngest Cloud or a self-hosted `inngest start` calls
 * Chorus's functions here. In embedded mode the in-process executor runs them instead, and
 * this endpoint answers 404 so nothing outside can drive them. Every request — execution,
 * introspection or sync — must carry Inngest's signature (INNGEST_SIGNING_KEY).
 */
// Syncs (PUT) must be signed too: an unsigned PUT with a forged Host would otherwise make Chorus
// register its functions — every team's runs — at that host (the SDK accepts them by default).
const handler = serve({ client: inngest, functions, enableUnauthedSync: false });
const embedded = () => Response.json({ error: { code: "not_found", message: "INNGEST_MODE is embedded" } }, { status: 404 });
const inServerMode = process.env.INNGEST_MODE === "server";

export const GET = inServerMode ? handler.GET : embedded;
export const POST = inServerMode ? handler.POST : embedded;
export const PUT = inServerMode ? handler.PUT : embedded;

/** Any other method: a JSON 405 naming the ones served. */
export const { PATCH, DELETE, OPTIONS } = refuseOtherMethods("GET", "POST", "PUT");
