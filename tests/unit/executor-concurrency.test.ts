import { Inngest } from "inngest";
import { describe, expect, it } from "vitest";
import { concurrencyGroups, concurrencyRules } from "@/inngest/executor/concurrency";
import { ExpressionError } from "@/inngest/executor/expression";
import { type IngestedEvent, runsForEvent } from "@/inngest/executor/routing";
import { describeFunctions } from "@/inngest/executor/sdk";

const event = (data: Record<string, unknown>): IngestedEvent => ({ name: "chorus/agent", id: "e1", ts: 0, data });

describe("executor concurrency groups (Inngest's `concurrency` option)", () => {
  it("reads a number, an object or a list, with the function scope by default and 0 as no limit", () => {
    expect(concurrencyRules(undefined)).toEqual([]);
    expect(concurrencyRules(3)).toEqual([{ limit: 3, scope: "fn" }]);
    expect(concurrencyRules({ limit: 2, key: "event.data.teamId" })).toEqual([{ limit: 2, scope: "fn", key: "event.data.teamId" }]);
    expect(concurrencyRules([{ limit: 0 }, { limit: 5, scope: "account", key: `"openai"` }])).toEqual([
      { limit: 5, scope: "account", key: `"openai"` },
    ]);
  });

  it("rejects a key expression outside the supported subset when the function is read", () => {
    expect(() => concurrencyRules({ limit: 1, key: "size(event.data.items)" })).toThrow(ExpressionError);
  });

  it("names one group per key value: per function for scope fn, shared across functions for env and account", () => {
    const rules = concurrencyRules([
      { limit: 2, key: "event.data.teamId", scope: "env" },
      { limit: 4, key: "event.data.userId" },
    ]);
    expect(concurrencyGroups("app-research", rules, { data: { teamId: "acme", userId: 7 } })).toEqual([
      { key: "env:acme", limit: 2 },
      { key: "fn:app-research:7", limit: 4 },
    ]);
    expect(concurrencyGroups("app-analysis", rules, { data: { teamId: "acme", userId: 7 } })).toEqual([
      { key: "env:acme", limit: 2 },
      { key: "fn:app-analysis:7", limit: 4 },
    ]);
    expect(concurrencyGroups("app-plain", concurrencyRules(1), { data: {} })).toEqual([{ key: "fn:app-plain:", limit: 1 }]);
    expect(concurrencyGroups("app-free", [], { data: {} })).toBeNull();
  });

  it("keeps a run whose key cannot be evaluated under the limit, in a group of its own kind", () => {
    const [group] = concurrencyGroups("app-x", concurrencyRules({ limit: 1, key: "event.data.teamId" }), { data: {} })!;
    expect(group!.limit).toBe(1);
    expect(group!.key).not.toBe("fn:app-x:");
  });

  it("puts the groups on the runs an event starts", () => {
    const inngest = new Inngest({ id: "app", isDev: false, eventKey: "test" });
    const agent = inngest.createFunction(
      { id: "agent", triggers: [{ event: "chorus/agent" }], concurrency: [{ scope: "env", key: "event.data.teamId", limit: 2 }] },
      async () => null,
    );
    const free = inngest.createFunction({ id: "free", triggers: [{ event: "chorus/agent" }] }, async () => null);
    const runs = runsForEvent(describeFunctions(inngest, [agent, free]), event({ teamId: "acme" }));
    expect(runs.map((run) => [run.functionId, run.concurrency])).toEqual([
      ["app-agent", [{ key: "env:acme", limit: 2 }]],
      ["app-free", null],
    ]);
  });
});
