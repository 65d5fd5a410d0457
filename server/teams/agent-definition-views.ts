import { z } from "zod";

/**
 * What the agent routes answer with, for the OpenAPI document: the fields every agent has are
 * listed; a team agent carries more (instructions, modelId, tools, outputFormat, version and who
 * wrote it), which the schema lets through without pinning down.
 */

export const agentView = z
  .looseObject({
    kind: z.string().meta({ description: "What plans route steps by: a built-in kind or the team agent's slug" }),
    name: z.string(),
    description: z.string(),
    capabilities: z.array(z.string()),
    builtIn: z.boolean(),
  })
  .meta({ id: "Agent" });

export const agentListView = z.object({ agents: z.array(agentView) }).meta({ id: "AgentList" });

export const agentDetailView = z.object({ agent: agentView }).meta({ id: "AgentDetail" });

export const agentVersionListView = z
  .object({
    versions: z.array(z.looseObject({ version: z.number().int() })).meta({ description: "Newest first; none for a built-in" }),
  })
  .meta({ id: "AgentVersionList" });
