/**
 * Where the plan graph draws each step (pure, so it is unit-tested): steps are placed in columns
 * by dependency depth, left to right — a step with no dependencies in column 0, any other one
 * column after its deepest dependency — and in plan order within a column. Planned plans are
 * acyclic (the planner's schema and repair reject cycles), but a stored plan is data: a cycle or
 * a dependency on an unknown step must still draw, so a back edge counts for nothing and an
 * unknown step is no edge.
 */

export interface GraphStep {
  id: string;
  dependsOn: readonly string[];
}

export interface PlacedStep {
  id: string;
  /** The column: the longest chain of dependencies before this step. */
  layer: number;
  /** The position within the column, in plan order. */
  row: number;
}

export interface PlanGraphLayout {
  steps: PlacedStep[];
  /** One edge per known dependency, from the step depended on to the step that waits for it. */
  edges: Array<{ from: string; to: string }>;
  layers: number;
  /** The tallest column's height. */
  rows: number;
}

export function layoutPlanGraph(steps: readonly GraphStep[]): PlanGraphLayout {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();

  // Iterative depth-first search (a plan read from storage may be long): a step's depth is one
  // more than its deepest known dependency's; a dependency still being visited closes a cycle and
  // is skipped.
  const depthOf = (start: string): number => {
    const stack: Array<{ id: string; next: number; deepest: number }> = [{ id: start, next: 0, deepest: -1 }];
    visiting.add(start);
    let last = 0;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const dependencies = byId.get(frame.id)?.dependsOn ?? [];
      if (frame.next < dependencies.length) {
        const dependency = dependencies[frame.next++]!;
        if (!byId.has(dependency) || visiting.has(dependency)) continue;
        const known = depth.get(dependency);
        if (known !== undefined) frame.deepest = Math.max(frame.deepest, known);
        else {
          visiting.add(dependency);
          stack.push({ id: dependency, next: 0, deepest: -1 });
        }
        continue;
      }
      stack.pop();
      visiting.delete(frame.id);
      last = frame.deepest + 1;
      depth.set(frame.id, last);
      const parent = stack[stack.length - 1];
      if (parent) parent.deepest = Math.max(parent.deepest, last);
    }
    return last;
  };

  const rowsPerLayer: number[] = [];
  const placed: PlacedStep[] = [];
  const seen = new Set<string>();
  for (const step of steps) {
    if (seen.has(step.id)) continue; // a duplicate id draws once
    seen.add(step.id);
    const layer = depth.get(step.id) ?? depthOf(step.id);
    const row = rowsPerLayer[layer] ?? 0;
    rowsPerLayer[layer] = row + 1;
    placed.push({ id: step.id, layer, row });
  }

  const edges: Array<{ from: string; to: string }> = [];
  const drawn = new Set<string>();
  const layerOf = new Map(placed.map((step) => [step.id, step.layer]));
  for (const step of steps) {
    for (const dependency of new Set(step.dependsOn)) {
      const from = layerOf.get(dependency);
      const to = layerOf.get(step.id);
      // Only edges that point forward: a cycle's back edge is not drawn.
      const key = JSON.stringify([dependency, step.id]);
      if (from !== undefined && to !== undefined && from < to && !drawn.has(key)) {
        drawn.add(key);
        edges.push({ from: dependency, to: step.id });
      }
    }
  }

  return { steps: placed, edges, layers: rowsPerLayer.length, rows: Math.max(0, ...rowsPerLayer.map((count) => count ?? 0)) };
}
