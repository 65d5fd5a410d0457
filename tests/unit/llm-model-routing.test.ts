import { describe, expect, it } from "vitest";
import { chainFor, readStoredRouting, type ModelRouting } from "@/server/llm/model-routing";

/** Which of a team's model lists serves a call, and how a custom agent's own model id combines with them. */
const link = (providerId: string, model: string) => ({ providerId, model });
const routing: ModelRouting = {
  default: [link("p1", "base"), link("p2", "backup")],
  planner: [link("p2", "planner-model")],
  agents: { research: [link("p1", "research-model")] },
};

describe("chainFor", () => {
  it("uses the role's own list, else the team default, else nothing (the instance's provider)", () => {
    expect(chainFor(routing, { role: "planner" }).links).toEqual([link("p2", "planner-model")]);
    expect(chainFor(routing, { role: "aggregator" }).links).toEqual(routing.default);
    expect(chainFor(routing, { role: "agent", agentKind: "research" }).links).toEqual([link("p1", "research-model")]);
    expect(chainFor(routing, { role: "agent", agentKind: "analysis" }).links).toEqual(routing.default);
    expect(chainFor({}, { role: "planner" })).toEqual({ links: [] });
  });

  it("lets a custom agent's model id pick the model of the default's first link, keeping the fallbacks", () => {
    expect(chainFor(routing, { role: "agent", agentKind: "writer", modelId: "own-model" }).links).toEqual([
      link("p1", "own-model"),
      link("p2", "backup"),
    ]);
    // With no default, the id goes to the instance's provider.
    expect(chainFor({}, { role: "agent", agentKind: "writer", modelId: "own-model" })).toEqual({ links: [], modelIdOverride: "own-model" });
  });

  it("lets an explicit route for the agent's kind win over its own model id", () => {
    expect(chainFor(routing, { role: "agent", agentKind: "research", modelId: "own-model" }).links).toEqual([link("p1", "research-model")]);
  });
});

describe("readStoredRouting", () => {
  it("reads an unreadable stored routing as nothing set, rather than failing every call", () => {
    expect(readStoredRouting(null)).toEqual({});
    expect(readStoredRouting({ planner: "not a list" })).toEqual({});
    expect(readStoredRouting(routing)).toEqual(routing);
  });
});
