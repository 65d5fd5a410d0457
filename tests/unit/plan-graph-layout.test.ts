import { describe, expect, it } from "vitest";
import { layoutPlanGraph } from "@/components/tasks/plan-graph-layout";

const placement = (steps: Parameters<typeof layoutPlanGraph>[0]) =>
  Object.fromEntries(layoutPlanGraph(steps).steps.map((step) => [step.id, [step.layer, step.row]]));

describe("the plan graph's layout", () => {
  it("puts each step one column after its deepest dependency, in plan order within a column", () => {
    const layout = layoutPlanGraph([
      { id: "research-a", dependsOn: [] },
      { id: "research-b", dependsOn: [] },
      { id: "analysis", dependsOn: ["research-a", "research-b"] },
      // Depends on a step of column 0 and one of column 1: its column is after the deeper one.
      { id: "synthesis", dependsOn: ["research-a", "analysis"] },
    ]);
    expect(Object.fromEntries(layout.steps.map((step) => [step.id, [step.layer, step.row]]))).toEqual({
      "research-a": [0, 0],
      "research-b": [0, 1],
      analysis: [1, 0],
      synthesis: [2, 0],
    });
    expect(layout.layers).toBe(3);
    expect(layout.rows).toBe(2);
    expect(layout.edges).toEqual([
      { from: "research-a", to: "analysis" },
      { from: "research-b", to: "analysis" },
      { from: "research-a", to: "synthesis" },
      { from: "analysis", to: "synthesis" },
    ]);
  });

  it("places a step by its dependencies even when the plan lists it before them", () => {
    expect(
      placement([
        { id: "write", dependsOn: ["find"] },
        { id: "find", dependsOn: [] },
      ]),
    ).toEqual({ write: [1, 0], find: [0, 0] });
  });

  it("draws a cycle (impossible in a planned plan, but stored plans are data) without looping, and no back edge", () => {
    const layout = layoutPlanGraph([
      { id: "a", dependsOn: ["c"] },
      { id: "b", dependsOn: ["a"] },
      { id: "c", dependsOn: ["b"] },
      { id: "self", dependsOn: ["self"] },
    ]);
    expect(layout.steps.map((step) => step.id)).toEqual(["a", "b", "c", "self"]);
    const layers = layout.steps.map((step) => step.layer);
    expect(new Set(layers.slice(0, 3)).size).toBe(3); // the three in a chain, one column each
    expect(
      layout.edges.every((edge) => layout.steps.find((s) => s.id === edge.from)!.layer < layout.steps.find((s) => s.id === edge.to)!.layer),
    ).toBe(true);
    expect(layout.edges).toHaveLength(2);
    expect(layout.steps.find((step) => step.id === "self")!.layer).toBe(0);
  });

  it("ignores dependencies on unknown steps and draws a duplicate id once", () => {
    const layout = layoutPlanGraph([
      { id: "a", dependsOn: ["ghost"] },
      { id: "a", dependsOn: [] },
      { id: "b", dependsOn: ["a", "a"] },
    ]);
    expect(layout.steps).toEqual([
      { id: "a", layer: 0, row: 0 },
      { id: "b", layer: 1, row: 0 },
    ]);
    expect(layout.edges).toEqual([{ from: "a", to: "b" }]);
  });

  it("lays out a long chain without exhausting the stack", () => {
    const steps = Array.from({ length: 20_000 }, (_, index) => ({ id: `s${index}`, dependsOn: index === 0 ? [] : [`s${index - 1}`] }));
    const layout = layoutPlanGraph(steps.slice().reverse());
    expect(layout.layers).toBe(20_000);
    expect(layout.steps.find((step) => step.id === "s19999")!.layer).toBe(19_999);
  });

  it("is empty for an empty plan", () => {
    expect(layoutPlanGraph([])).toEqual({ steps: [], edges: [], layers: 0, rows: 0 });
  });
});
