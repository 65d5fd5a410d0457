import { NextResponse } from "next/server";
import { withCaller } from "@/server/http/route";
import { deleteAgentDefinition } from "@/server/teams/agent-definitions";
import { refuseOtherMethods } from "@/server/http/methods";

export const dynamic = "force-dynamic";

/** DELETE /api/v1/agents/{kind} — remove a team agent (admins). Tasks already planned keep their steps. */
export const DELETE = withCaller<{ kind: string }>(async (_request, caller, params) => NextResponse.json(await deleteAgentDefinition(caller, params.kind)));

/** Any other method: a JSON 405 naming the ones served. */
export const { GET, POST, PUT, PATCH, OPTIONS } = refuseOtherMethods("DELETE");
