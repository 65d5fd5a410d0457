import { describe, expect, it } from "vitest";
import { chainFor, chainForTask, readStoredRouting, unknownRoutingReference, type ModelRouting } from "@/server/llm/model-routing";

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

describe("chainForTask (a task's own routing, an experiment's)", () => {
  const taskRouting: ModelRouting = {
    planner: [link("p3", "experiment-planner")],
    agents: { analysis: [link("p3", "experiment-analysis")] },
  };

  it("takes the task's list for the target, then the team's routing as chainFor reads it", () => {
    expect(chainForTask(taskRouting, routing, { role: "planner" }).links).toEqual([link("p3", "experiment-planner")]);
    expect(chainForTask(taskRouting, routing, { role: "agent", agentKind: "analysis" }).links).toEqual([link("p3", "experiment-analysis")]);
    expect(chainForTask(taskRouting, routing, { role: "agent", agentKind: "research" }).links).toEqual([link("p1", "research-model")]);
    expect(chainForTask(taskRouting, routing, { role: "aggregator" }).links).toEqual(routing.default);
    expect(chainForTask(undefined, routing, { role: "planner" })).toEqual(chainFor(routing, { role: "planner" }));
  });

  it("puts the task's default before any of the team's lists, and a custom agent's own model id does not replace it", () => {
    const withDefault: ModelRouting = { default: [link("p3", "experiment-default")] };
    expect(chainForTask(withDefault, routing, { role: "planner" }).links).toEqual([link("p3", "experiment-default")]);
    expect(chainForTask(withDefault, routing, { role: "agent", agentKind: "research" }).links).toEqual([link("p3", "experiment-default")]);
    expect(chainForTask(withDefault, routing, { role: "agent", agentKind: "writer", modelId: "own-model" })).toEqual({
      links: [link("p3", "experiment-default")],
    });
  });
});

describe("unknownRoutingReference", () => {
  const known = { providerIds: new Set(["p1", "p2"]), agentKinds: ["research", "analysis"] };

  it("names the first provider or agent kind the team does not have, and nothing for a routing it can serve", () => {
    expect(unknownRoutingReference(routing, known)).toBeUndefined();
    expect(unknownRoutingReference({ default: [link("env", "gpt-x")] }, known)).toBeUndefined();
    expect(unknownRoutingReference({ planner: [link("p1", "a"), link("p9", "b")] }, known)).toEqual({
      path: "planner.1.providerId",
      message: 'your team has no model provider "p9"',
    });
    expect(unknownRoutingReference({ agents: { ghost: [link("p1", "a")] } }, known)).toMatchObject({ path: "agents.ghost" });
  });
});
