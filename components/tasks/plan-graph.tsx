"use client";

import { StatusBadge } from "@/components/ui/status-badge";
import { layoutPlanGraph } from "./plan-graph-layout";
import type { AgentView, PlanStepView } from "./task-progress";

/**
 * The plan as a graph: each step a node (its agent, why that agent, its live status), each
 * dependency an arrow, columns by dependency depth (plan-graph-layout.ts). Nodes are links to the
 * step's details below, so the graph is reachable by keyboard and each node's name reads as a
 * sentence to a screen reader; the arrows are decoration (each node names the steps it waits for).
 */

const NODE_WIDTH = 188;
const NODE_HEIGHT = 84;
const COLUMN_GAP = 56;
const ROW_GAP = 16;

/** What a step's badge says: a step still waiting when its task has finished never ran. */
export function stepBadge(agent: AgentView | undefined, taskFinished: boolean): string {
  const status = agent?.status ?? "waiting";
  if (status === "waiting") return taskFinished ? "not run" : "queued";
  return agent?.reused ? "reused" : status;
}

const borders: Record<string, string> = {
  completed: "border-green-500",
  reused: "border-green-300",
  running: "border-blue-500 ring-2 ring-blue-200",
  awaiting_approval: "border-amber-500",
  failed: "border-red-500",
  cancelled: "border-slate-400",
  queued: "border-dashed border-slate-300",
  "not run": "border-dashed border-slate-300",
};

export function PlanGraph({
  steps,
  agents,
  taskFinished,
  onOpenStep,
}: {
  steps: readonly PlanStepView[];
  agents: Readonly<Record<string, AgentView>>;
  taskFinished: boolean;
  onOpenStep: (stepId: string) => void;
}) {
  const layout = layoutPlanGraph(steps);
  const stepById = new Map(steps.map((step) => [step.id, step]));
  const position = new Map(
    layout.steps.map((placed) => [placed.id, { x: placed.layer * (NODE_WIDTH + COLUMN_GAP), y: placed.row * (NODE_HEIGHT + ROW_GAP) }]),
  );
  const width = layout.layers * NODE_WIDTH + Math.max(0, layout.layers - 1) * COLUMN_GAP;
  const height = layout.rows * NODE_HEIGHT + Math.max(0, layout.rows - 1) * ROW_GAP;
  const indexOf = new Map(steps.map((step, index) => [step.id, index + 1]));

  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid="plan-graph">
      <div className="relative" style={{ width, height }}>
        <svg className="absolute inset-0 text-slate-400" width={width} height={height} aria-hidden="true" focusable="false">
          <defs>
            <marker id="plan-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
              <path d="M0,0 L8,4 L0,8 z" fill="currentColor" />
            </marker>
          </defs>
          {layout.edges.map((edge) => {
            const from = position.get(edge.from)!;
            const to = position.get(edge.to)!;
            const x1 = from.x + NODE_WIDTH;
            const y1 = from.y + NODE_HEIGHT / 2;
            const x2 = to.x - 2;
            const y2 = to.y + NODE_HEIGHT / 2;
            const bend = (x2 - x1) / 2;
            return (
              <path
                key={`${edge.from}->${edge.to}`}
                data-edge={`${edge.from}->${edge.to}`}
                d={`M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`}
                fill="none"
                stroke="currentColor"
                strokeWidth={1.5}
                markerEnd="url(#plan-arrow)"
              />
            );
          })}
        </svg>
        <ol aria-label="Plan graph: steps in the order they can run">
          {layout.steps.map((placed) => {
            const step = stepById.get(placed.id)!;
            const badge = stepBadge(agents[step.id], taskFinished);
            const at = position.get(step.id)!;
            const after = step.dependsOn.length > 0 ? ` After ${step.dependsOn.join(", ")}.` : " Starts first.";
            return (
              <li key={step.id} className="absolute" style={{ left: at.x, top: at.y, width: NODE_WIDTH, height: NODE_HEIGHT }}>
                <a
                  href={`#step-${step.id}`}
                  onClick={() => onOpenStep(step.id)}
                  data-testid={`graph-node-${step.id}`}
                  data-step-status={badge}
                  aria-label={`Step ${indexOf.get(step.id)}: ${step.agent} agent (${step.id}), ${badge.replaceAll("_", " ")}.${after} Why: ${step.reason}. Open its details.`}
                  title={step.reason}
                  className={`flex h-full flex-col justify-between rounded-lg border-2 bg-white px-2 py-1.5 text-left shadow-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 ${borders[badge] ?? "border-slate-300"}`}
                >
                  <span className="flex items-center justify-between gap-1">
                    <span className="truncate text-sm font-medium capitalize text-slate-900">{step.agent}</span>
                    <StatusBadge status={badge} />
                  </span>
                  <span className="truncate text-xs text-slate-600">{step.id}</span>
                  <span className="line-clamp-1 text-xs text-slate-500">{step.reason}</span>
                </a>
              </li>
            );
          })}
        </ol>
      </div>
    </div>
  );
}
