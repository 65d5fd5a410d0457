import { NextResponse } from "next/server";
import { readJsonBody, withCaller } from "@/server/http/route";
import { createAgentDefinition, listAgentDefinitions } from "@/server/teams/agent-definitions";
import { refuseOtherMethods } from "@/server/http/methods";

export const dynamic = "force-dynamic";

/** GET /api/v1/agents — built-in and team-defined agents. */
export const GET = withCaller(async (_request, caller) => NextResponse.json(await listAgentDefinitions(caller)));

/** POST /api/v1/agents — define a team agent `{ kind, name, description, instructions, capabilities[], modelId? }` (admins). */
export const POST = withCaller(async (request, caller) =>
  NextResponse.json(await createAgentDefinition(caller, await readJsonBody(request)), { status: 201 }),
);

/** Any other method: a JSON 405 naming the ones served. */
export const { PUT, PATCH, DELETE, OPTIONS } = refuseOtherMethods("GET", "POST");
