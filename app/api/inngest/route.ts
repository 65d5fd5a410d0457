import { serve } from "inngest/next";
import { inngest } from "@/inngest/client";
import { functions } from "@/inngest/functions";

/**
 * Server mode (INNGEST_MODE=server): Inngest Cloud or a self-hosted `inngest start` calls
 * Chorus's functions here. In embedded mode the in-process executor runs them instead, and
 * this endpoint answers 404 so nothing outside can drive them.
 */
const handler = serve({ client: inngest, functions });
const embedded = () => Response.json({ error: { code: "not_found", message: "INNGEST_MODE is embedded" } }, { status: 404 });
const inServerMode = process.env.INNGEST_MODE === "server";

export const GET = inServerMode ? handler.GET : embedded;
export const POST = inServerMode ? handler.POST : embedded;
export const PUT = inServerMode ? handler.PUT : embedded;
