import { Inngest } from "inngest";
import { describe, expect, it } from "vitest";
import { runIdFor } from "@/inngest/executor/identity";
import { eventNameMatches, type IngestedEvent, resolveWaitsWith, runsForEvent, runsToCancel } from "@/inngest/executor/routing";
import { describeFunctions } from "@/inngest/executor/sdk";

const inngest = new Inngest({ id: "app", isDev: false, eventKey: "test" });
const onCreated = inngest.createFunction({ id: "on-created", triggers: [{ event: "shop/order.created" }] }, async () => null);
const onPaid = inngest.createFunction(
  { id: "on-big-order", triggers: [{ event: "shop/order.*", if: "event.data.total > 100" }] },
  async () => null,
);
const cancellable = inngest.createFunction(
  {
    id: "fulfil",
    retries: 5,
    triggers: [{ event: "shop/order.created" }],
    cancelOn: [
      { event: "shop/order.cancelled", match: "data.orderId" },
      { event: "shop/shutdown", timeout: "1m" },
    ],
    onFailure: async () => null,
  },
  async () => null,
);
const definitions = describeFunctions(inngest, [onCreated, onPaid, cancellable]);

const event = (name: string, data: Record<string, unknown>, id = name): IngestedEvent => ({ name, data, id, ts: 0 });

describe("executor routing", () => {
  it("reads functions as serve() registers them, including an onFailure handler and retries", () => {
    expect(definitions.map((definition) => [definition.id, definition.handlerKind, definition.maxAttempts])).toEqual([
      ["app-on-created", "main", 4],
      ["app-on-big-order", "main", 4],
      ["app-fulfil", "main", 6],
      ["app-fulfil-failure", "failure", 2],
    ]);
  });

  it("matches exact event names and trailing wildcards", () => {
    expect(eventNameMatches("shop/order.created", "shop/order.created")).toBe(true);
    expect(eventNameMatches("shop/order.*", "shop/order.paid")).toBe(true);
    expect(eventNameMatches("shop/order.*", "shop/refund.paid")).toBe(false);
  });

  it("starts one run per triggered function, with an id derived from the function and the event", () => {
    const small = event("shop/order.created", { total: 10 }, "e1");
    expect(runsForEvent(definitions, small).map((run) => run.functionId)).toEqual(["app-on-created", "app-fulfil"]);
    const big = event("shop/order.created", { total: 500 }, "e2");
    expect(runsForEvent(definitions, big).map((run) => run.id)).toEqual([
      runIdFor("app-on-created", "e2"),
      runIdFor("app-on-big-order", "e2"),
      runIdFor("app-fulfil", "e2"),
    ]);
  });

  it("routes the failure event of a function to its onFailure handler only", () => {
    const failed = event("inngest/function.failed", { function_id: "app-fulfil" });
    expect(runsForEvent(definitions, failed).map((run) => run.functionId)).toEqual(["app-fulfil-failure"]);
    expect(runsForEvent(definitions, event("inngest/function.failed", { function_id: "other" }))).toEqual([]);
  });

  it("resolves each wait with the first matching event", () => {
    const waits = [
      {
        runId: "r1",
        stepId: "s",
        eventName: "shop/paid",
        condition: "event.data.orderId == async.data.orderId",
        runEvent: JSON.stringify({ data: { orderId: 1 } }),
      },
      { runId: "r2", stepId: "s", eventName: "shop/paid", condition: null, runEvent: "{}" },
    ];
    const events = [event("shop/paid", { orderId: 2 }, "p2"), event("shop/paid", { orderId: 1 }, "p1")];
    const resolutions = resolveWaitsWith(events, waits);
    expect(resolutions.map((resolution) => [resolution.runId, JSON.parse(resolution.data!).id])).toEqual([
      ["r1", "p1"],
      ["r2", "p2"],
    ]);
  });

  it("cancels runs whose cancelOn rule matches, within the rule's timeout", () => {
    const runs = [
      { id: "a", functionId: "app-fulfil", event: JSON.stringify({ data: { orderId: 1 } }), ageMs: 5 },
      { id: "b", functionId: "app-fulfil", event: JSON.stringify({ data: { orderId: 2 } }), ageMs: 5 },
      { id: "c", functionId: "app-fulfil", event: JSON.stringify({ data: { orderId: 3 } }), ageMs: 120_000 },
    ];
    expect(runsToCancel(definitions, [event("shop/order.cancelled", { orderId: 2 })], runs)).toEqual(["b"]);
    expect(runsToCancel(definitions, [event("shop/shutdown", {})], runs)).toEqual(["a", "b"]);
  });
});
