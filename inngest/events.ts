import { eventType } from "inngest";
import { z } from "zod";

/** Every event Chorus sends, typed once. Functions trigger on these; `send*` helpers create them. */
export const taskCreated = eventType("chorus/task.created", {
  // traceId: the task's trace (tracing on at its creation), which its steps' spans join.
  schema: z.object({ taskId: z.string(), teamId: z.string(), traceId: z.string().optional() }),
});

/** A member approved or rejected a plan that was waiting (the decision itself is stored on the task). */
export const planDecided = eventType("chorus/task.plan-decided", {
  schema: z.object({ taskId: z.string(), approved: z.boolean() }),
});

/** A member cancelled a task: the coordinator and its agent runs stop (their `cancelOn`). */
export const taskCancelled = eventType("chorus/task.cancelled", {
  schema: z.object({ taskId: z.string() }),
});

/** A member approved or denied a tool call an agent step is waiting on (the decision itself is stored on the call). */
export const toolDecided = eventType("chorus/tool.decided", {
  schema: z.object({ taskId: z.string(), executionId: z.string(), callId: z.string() }),
});

export const agentStepInput = z.object({
  taskId: z.string(),
  teamId: z.string(),
  stepId: z.string(),
  agent: z.string(),
  subtask: z.string(),
  taskPrompt: z.string(),
  dependsOn: z.array(z.string()),
  upstream: z.array(
    z.object({
      stepId: z.string(),
      agentKind: z.string(),
      text: z.string(),
      sources: z.array(z.object({ title: z.string(), url: z.string().optional() })).optional(),
    }),
  ),
  totalSteps: z.number().int(),
  /** Whether this step may ask for another agent's help (follow-ups may not ask again), and whom. */
  allowFollowUps: z.boolean().default(false),
  helpers: z.array(z.object({ kind: z.string(), name: z.string(), description: z.string() })).default([]),
  /** The team agent's version the task recorded when it was planned (absent for built-ins): the step runs exactly it. */
  agentVersion: z.object({ id: z.string(), version: z.number().int() }).optional(),
  /** The task's trace (docs/operations.md#tracing): the step's span joins it. */
  traceId: z.string().optional(),
});
export type AgentStepInput = z.infer<typeof agentStepInput>;

/**
 * The invoke data of an agent step as it travels through durable state: what carries task content
 * (the prompt, the subtask, earlier steps' output) sits under `encrypted`, the one field the
 * encryption middleware encrypts (inngest/client.ts); the ids the engine routes on stay readable.
 */
const ENCRYPTED_AGENT_FIELDS = { subtask: true, taskPrompt: true, upstream: true } as const;
export const agentInvocation = agentStepInput
  .omit(ENCRYPTED_AGENT_FIELDS)
  .extend({ encrypted: agentStepInput.pick(ENCRYPTED_AGENT_FIELDS) });
export type AgentInvocation = z.infer<typeof agentInvocation>;

export function toAgentInvocation(input: AgentStepInput): AgentInvocation {
  const { subtask, taskPrompt, upstream, ...routing } = input;
  return { ...routing, encrypted: { subtask, taskPrompt, upstream } };
}

/** Also reads the flat data of an agent run invoked before this encryption existed, so a run in flight across the upgrade finishes. */
export function fromAgentInvocation(data: unknown): AgentStepInput {
  if (typeof data === "object" && data !== null && !("encrypted" in data)) return agentStepInput.parse(data);
  const { encrypted, ...routing } = agentInvocation.parse(data);
  return { ...routing, ...encrypted };
}

/** A webhook delivery (an outbox row, server/webhooks) is to be sent; the event's id is derived from it, so it starts one run. */
export const webhookDeliveryRequested = eventType("chorus/webhook.delivery-requested", {
  schema: z.object({ deliveryId: z.string(), teamId: z.string() }),
});

/**
 * A task reached a finished status (completed, failed, cancelled, budget_exceeded), whatever ended
 * it. Sent once per task, with an id derived from the task and its status (`taskFinishedEventId`),
 * so a step that re-runs and sends again starts no second run of a consumer (the executor, like
 * Inngest, derives runs from event ids). Consumers (an experiment waiting on its cases) re-read
 * the task from the database; the event only says when to.
 */
export const taskFinished = eventType("chorus/task.finished", {
  schema: z.object({ taskId: z.string(), teamId: z.string(), status: z.enum(["completed", "failed", "cancelled", "budget_exceeded"]) }),
});

export const taskFinishedEventId = (taskId: string, status: string) => `task-finished-${taskId}-${status}`;

/** An experiment (server/evals/experiments.ts) was stored with its pending results; the event's id is derived from it, so it starts one run. */
export const evalExperimentStarted = eventType("chorus/eval.experiment-started", {
  schema: z.object({ experimentId: z.string(), teamId: z.string() }),
});

/** A member cancelled an experiment (its status is stored first): its run stops (cancelOn). */
export const evalExperimentCancelled = eventType("chorus/eval.experiment-cancelled", {
  schema: z.object({ experimentId: z.string() }),
});
