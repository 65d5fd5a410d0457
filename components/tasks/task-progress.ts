/**
 * The live view's state, rebuilt from the task's run events (pure, so it is unit-tested and
 * the same events always draw the same page).
 */
export interface PlanStepView {
  id: string;
  agent: string;
  subtask: string;
  dependsOn: string[];
  reason: string;
}

/** One tool call an agent made, as the task page lists it. */
export interface ToolCallView {
  callId: string;
  tool: string;
  input: unknown;
  status: "running" | "succeeded" | "failed" | "refused" | "awaiting_approval" | "approved" | "denied";
  excerpt?: string;
  error?: string;
  durationMs?: number;
  /** Why it was denied (a member's reason, or that nobody decided in time). */
  reason?: string;
}

export interface AgentView {
  stepId: string;
  agent: string;
  status: "waiting" | "running" | "awaiting_approval" | "completed" | "failed" | "cancelled";
  text: string;
  attempt: number;
  /** Not run in this task: its output was carried over from the attempt this task reruns. */
  reused?: boolean;
  error?: string;
  usage?: { inputTokens: number; outputTokens: number; costUsd: number };
  /** The response cache answered every model call of this attempt: it cost nothing. */
  cached?: boolean;
  modelId?: string;
  startedAt?: string;
  completedAt?: string;
  /** The tools this attempt called, in order. */
  toolCalls?: ToolCallView[];
  /** How often the step started again (a retry, or a resume after a crash): its earlier partial output was dropped each time. */
  restarts?: number;
  /** Why it last started again. */
  restartReason?: "retried" | "resumed";
}

export interface TaskProgress {
  lastSeq: number;
  status: string;
  plan: PlanStepView[];
  /** How the plan came about: the planner model's own, repaired, the default one, a rerun's… */
  planSource?: string;
  planNotes: string[];
  awaitingApproval: boolean;
  agents: Record<string, AgentView>;
  completedSteps: number;
  totalSteps: number;
  result?: { markdown: string; sources: Array<{ title: string; url?: string }> };
  usage?: { inputTokens: number; outputTokens: number; costUsd: number };
  durationMs?: number | null;
  /** When the task reached its final state, from that event. */
  finishedAt?: string;
  error?: string;
}

export interface ProgressEvent {
  seq: number;
  type: string;
  payload: Record<string, unknown>;
  createdAt: string;
}

export function initialProgress(status: string): TaskProgress {
  return { lastSeq: 0, status, plan: [], planNotes: [], awaitingApproval: false, agents: {}, completedSteps: 0, totalSteps: 0 };
}

function agent(state: TaskProgress, stepId: string, fallbackAgent = "agent"): AgentView {
  return state.agents[stepId] ?? { stepId, agent: fallbackAgent, status: "waiting", text: "", attempt: 1 };
}

/** A step (re)starting an attempt: running, with nothing streamed yet. */
function runningAgain(previous: AgentView, attempt: number, startedAt: string | undefined): AgentView {
  return { ...previous, status: "running", text: "", error: undefined, toolCalls: [], attempt, startedAt };
}

export function applyProgressEvent(state: TaskProgress, event: ProgressEvent): TaskProgress {
  if (event.seq <= state.lastSeq) return state;
  const next: TaskProgress = { ...state, lastSeq: event.seq };
  const payload = event.payload;
  const stepId = String(payload.stepId ?? "");
  switch (event.type) {
    case "task.planned":
    case "task.approved":
    case "task.replanned": {
      // A plan replaces the one before it (a re-planned task announces task.planned again): shown once.
      const steps = (payload.steps as PlanStepView[] | undefined) ?? [];
      next.awaitingApproval = event.type === "task.planned" && payload.awaitingApproval === true;
      next.status = next.awaitingApproval ? "awaiting_approval" : "running";
      next.plan = steps;
      if (event.type === "task.planned") {
        next.planNotes = (payload.notes as string[] | undefined) ?? [];
        next.planSource = typeof payload.source === "string" ? payload.source : undefined;
      }
      next.totalSteps = steps.length;
      next.agents = {};
      for (const step of steps)
        next.agents[step.id] = state.agents[step.id] ?? { stepId: step.id, agent: step.agent, status: "waiting", text: "", attempt: 1 };
      return next;
    }
    case "agent.restarted": {
      // The step runs again from its beginning: what it streamed before is replaced, not continued.
      const previous = agent(state, stepId, String(payload.agent));
      next.agents = {
        ...state.agents,
        [stepId]: {
          ...runningAgain(previous, Number(payload.attempt ?? previous.attempt), event.createdAt),
          usage: undefined,
          completedAt: undefined,
          restarts: (previous.restarts ?? 0) + 1,
          restartReason: payload.reason === "resumed" ? "resumed" : "retried",
        },
      };
      next.status = "running";
      return next;
    }
    case "agent.started": {
      const previous = agent(state, stepId, String(payload.agent));
      next.agents = { ...state.agents, [stepId]: runningAgain(previous, Number(payload.attempt ?? 1), event.createdAt) };
      next.status = "running";
      return next;
    }
    case "agent.delta": {
      const previous = agent(state, stepId);
      next.agents = { ...state.agents, [stepId]: { ...previous, text: previous.text + String(payload.text ?? "") } };
      return next;
    }
    case "agent.tool_call":
    case "agent.tool_approval_requested": {
      const previous = agent(state, stepId, String(payload.agent));
      const call: ToolCallView = {
        callId: String(payload.callId ?? ""),
        tool: String(payload.tool ?? "tool"),
        input: payload.input,
        status: event.type === "agent.tool_call" ? "running" : "awaiting_approval",
      };
      // An approved call runs under its own id: it updates the entry that waited.
      const known = (previous.toolCalls ?? []).some((existing) => existing.callId === call.callId);
      const toolCalls = known
        ? (previous.toolCalls ?? []).map((existing) => (existing.callId === call.callId ? { ...existing, ...call } : existing))
        : [...(previous.toolCalls ?? []), call];
      const waiting = toolCalls.some((existing) => existing.status === "awaiting_approval");
      next.agents = { ...state.agents, [stepId]: { ...previous, toolCalls, status: waiting ? "awaiting_approval" : "running" } };
      return next;
    }
    case "agent.tool_decided": {
      const previous = agent(state, stepId);
      const toolCalls = (previous.toolCalls ?? []).map((call) =>
        call.callId === payload.callId
          ? {
              ...call,
              status: payload.approved === true ? ("approved" as const) : ("denied" as const),
              reason: typeof payload.reason === "string" ? payload.reason : undefined,
            }
          : call,
      );
      const waiting = toolCalls.some((call) => call.status === "awaiting_approval");
      next.agents = {
        ...state.agents,
        [stepId]: { ...previous, toolCalls, status: previous.status === "awaiting_approval" && !waiting ? "running" : previous.status },
      };
      return next;
    }
    case "agent.tool_result": {
      const previous = agent(state, stepId);
      const toolCalls = (previous.toolCalls ?? []).map((call) =>
        call.callId === payload.callId
          ? {
              ...call,
              status: (["succeeded", "failed", "refused"] as const).find((status) => status === payload.status) ?? "failed",
              excerpt: typeof payload.excerpt === "string" ? payload.excerpt : undefined,
              error: typeof payload.error === "string" ? payload.error : undefined,
              durationMs: typeof payload.durationMs === "number" ? payload.durationMs : undefined,
            }
          : call,
      );
      next.agents = { ...state.agents, [stepId]: { ...previous, toolCalls } };
      return next;
    }
    case "agent.completed": {
      const previous = agent(state, stepId, String(payload.agent));
      next.agents = {
        ...state.agents,
        [stepId]: {
          ...previous,
          status: "completed",
          usage: payload.usage as AgentView["usage"],
          modelId: payload.modelId as string | undefined,
          ...(payload.cached === true ? { cached: true } : {}),
          completedAt: event.createdAt,
        },
      };
      return next;
    }
    case "agent.failed": {
      const previous = agent(state, stepId, String(payload.agent));
      next.agents = {
        ...state.agents,
        [stepId]: { ...previous, status: "failed", error: String(payload.error ?? "failed"), completedAt: event.createdAt },
      };
      return next;
    }
    case "task.progress":
      next.completedSteps = Number(payload.completedSteps ?? state.completedSteps);
      next.totalSteps = Number(payload.totalSteps ?? state.totalSteps);
      return next;
    case "task.completed":
      next.status = "completed";
      next.result = payload.result as TaskProgress["result"];
      next.usage = payload.usage as TaskProgress["usage"];
      next.durationMs = payload.durationMs as number | null;
      next.completedSteps = next.totalSteps;
      next.finishedAt = event.createdAt;
      return next;
    case "task.failed":
      next.status = "failed";
      next.error = String(payload.error ?? "The task failed");
      next.finishedAt = event.createdAt;
      return next;
    case "task.cancelled":
    case "task.budget_exceeded":
      next.status = event.type === "task.cancelled" ? "cancelled" : "budget_exceeded";
      next.awaitingApproval = false;
      next.finishedAt = event.createdAt;
      next.error = typeof payload.error === "string" ? payload.error : undefined;
      next.agents = Object.fromEntries(
        Object.entries(state.agents).map(([id, view]) => [
          id,
          view.status === "running" || view.status === "awaiting_approval" ? { ...view, status: "cancelled" as const } : view,
        ]),
      );
      return next;
    default:
      return next;
  }
}

/**
 * The agents with the steps a rerun reused filled in from the task's stored executions: those
 * steps never run (so no event tells of them), but their outputs are this task's inputs.
 */
export function withReusedSteps(
  agents: Record<string, AgentView>,
  executions: ReadonlyArray<{ stepId: string; agent: string; status: string; output: unknown; reusedFromId: string | null }>,
): Record<string, AgentView> {
  let merged = agents;
  for (const execution of executions) {
    if (!execution.reusedFromId || execution.status !== "completed") continue;
    const current = agents[execution.stepId];
    if (current && current.status !== "waiting") continue;
    const text = (execution.output as { text?: unknown } | null)?.text;
    merged = {
      ...merged,
      [execution.stepId]: {
        stepId: execution.stepId,
        agent: execution.agent,
        status: "completed",
        text: typeof text === "string" ? text : "",
        attempt: 1,
        reused: true,
      },
    };
  }
  return merged;
}

/** The stored plan's steps (the task view's `plan`), so the page draws the plan before, or without, its stream. */
export function storedPlanSteps(plan: unknown): PlanStepView[] {
  const steps = (plan as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((step: Partial<PlanStepView> | null) =>
    step && typeof step.id === "string" && typeof step.agent === "string"
      ? [
          {
            id: step.id,
            agent: step.agent,
            subtask: String(step.subtask ?? ""),
            dependsOn: Array.isArray(step.dependsOn) ? step.dependsOn.map(String) : [],
            reason: String(step.reason ?? ""),
          },
        ]
      : [],
  );
}

type StoredExecution = {
  stepId: string;
  agent: string;
  status: string;
  attempt: number;
  output: unknown;
  error: string | null;
  reusedFromId: string | null;
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
  cached: boolean;
  modelId: string | null;
  startedAt: string | null;
  completedAt: string | null;
};

const storedStatus: Record<string, AgentView["status"]> = {
  queued: "waiting",
  running: "running",
  awaiting_tool_approval: "awaiting_approval",
  completed: "completed",
  failed: "failed",
  cancelled: "cancelled",
};

/**
 * The agents as the task's stored executions describe them (the latest attempt of each step):
 * what the page shows until its stream has delivered an event, so a page whose stream is
 * blocked or slow still shows every step's state and output.
 */
export function agentsFromExecutions(executions: readonly StoredExecution[]): Record<string, AgentView> {
  const agents: Record<string, AgentView> = {};
  for (const execution of executions) {
    const known = agents[execution.stepId];
    if (known && known.attempt > execution.attempt) continue;
    const text = (execution.output as { text?: unknown } | null)?.text;
    agents[execution.stepId] = {
      stepId: execution.stepId,
      agent: execution.agent,
      status: storedStatus[execution.status] ?? "waiting",
      text: typeof text === "string" ? text : "",
      attempt: execution.attempt,
      ...(execution.error ? { error: execution.error } : {}),
      ...(execution.status === "completed" ? { usage: execution.usage } : {}),
      ...(execution.cached ? { cached: true } : {}),
      ...(execution.modelId ? { modelId: execution.modelId } : {}),
      ...(execution.startedAt ? { startedAt: execution.startedAt } : {}),
      ...(execution.completedAt ? { completedAt: execution.completedAt } : {}),
    };
  }
  return agents;
}

/**
 * The steps a rerun from `fromStep` would reuse: those outside `fromStep` and everything
 * downstream of it that completed in this attempt. Empty for a plan that never ran (a rejected
 * one), so the page never promises to reuse what does not exist.
 */
export function stepsARerunReuses(
  steps: readonly PlanStepView[],
  executions: ReadonlyArray<{ stepId: string; status: string }>,
  fromStep: string,
): string[] {
  const rerun = new Set([fromStep]);
  for (let grew = true; grew;) {
    grew = false;
    for (const step of steps)
      if (!rerun.has(step.id) && step.dependsOn.some((dependency) => rerun.has(dependency))) {
        rerun.add(step.id);
        grew = true;
      }
  }
  const completed = new Set(executions.filter((execution) => execution.status === "completed").map((execution) => execution.stepId));
  return steps.filter((step) => !rerun.has(step.id) && completed.has(step.id)).map((step) => step.id);
}
