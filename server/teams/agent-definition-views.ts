import { z } from "zod";

/**
 * What the agent routes answer with (agent-definitions.ts), for the OpenAPI document: a built-in
 * agent, a team agent (the stored definition of its current version), and its versions.
 */

const timestamp = z.iso.datetime();

const agentFields = {
  kind: z.string().meta({ description: "What plans route steps by: a built-in kind or the team agent's slug" }),
  name: z.string(),
  description: z.string(),
  capabilities: z.array(z.string()),
};

const teamAgentFields = {
  ...agentFields,
  instructions: z.string(),
  modelId: z.string().nullable().meta({ description: "null: the team's model routing decides" }),
  tools: z.array(z.string()),
  outputFormat: z.string(),
};

const builtInAgentView = z.object({ ...agentFields, builtIn: z.literal(true) }).meta({ id: "BuiltInAgent" });

/** A team agent as stored: its current version's fields. */
export const teamAgentDefinitionView = z
  .object({ id: z.string(), ...teamAgentFields, version: z.number().int(), createdAt: timestamp, updatedAt: timestamp })
  .meta({ id: "TeamAgentDefinition" });

const teamAgentView = teamAgentDefinitionView.extend({ builtIn: z.literal(false) }).meta({ id: "TeamAgent" });

const author = z.object({ id: z.string(), name: z.string().nullable(), email: z.string().nullable() }).nullable();

export const agentListView = z.object({ agents: z.array(z.union([builtInAgentView, teamAgentView])) }).meta({ id: "AgentList" });

export const agentDetailView = z
  .object({
    agent: z.union([builtInAgentView, teamAgentView.extend({ versionCreatedAt: timestamp, versionCreatedBy: author })]),
  })
  .meta({ id: "AgentDetail" });

/** After an edit: `changed` false when nothing differed and no version was written. */
export const updatedTeamAgentView = teamAgentDefinitionView.extend({ changed: z.boolean() }).meta({ id: "UpdatedTeamAgent" });

export const agentVersionListView = z
  .object({
    versions: z
      .array(z.object({ id: z.string(), ...teamAgentFields, version: z.number().int(), createdAt: timestamp, createdBy: author }))
      .meta({ description: "Newest first; none for a built-in" }),
  })
  .meta({ id: "AgentVersionList" });
