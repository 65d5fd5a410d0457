import { NextResponse } from "next/server";
import { withCaller } from "@/server/http/route";
import { deleteAgentDefinition } from "@/server/teams/agent-definitions";

export const dynamic = "force-dynamic";

/** DELETE /api/v1/agents/{kind} — remove a team agent (admins). Tasks already planned keep their steps. */
export const DELETE = withCaller<{ kind: string }>(async (_request, caller, params) => NextResponse.json(await deleteAgentDefinition(caller, params.kind)));
