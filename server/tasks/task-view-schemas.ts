import { z } from "zod";
import { activeTaskStatuses, finishedTaskStatuses } from "@/server/domain/task-vocabulary";

/**
 * The shapes of the task views (task-views.ts) as zod schemas: the presenters are typed by them,
 * so a field added to a view without its schema fails the typecheck, and the REST route table
 * hands them to the OpenAPI document as its routes' answers.
 */

const timestamp = z.iso.datetime({ offset: true });

const usage = z
  .object({
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    costUsd: z.number().meta({ description: "What the model calls cost, in US dollars" }),
  })
  .meta({ id: "Usage" });

export const taskSummaryView = z
  .object({
    id: z.string(),
    status: z.enum([...activeTaskStatuses, ...finishedTaskStatuses]),
    prompt: z.string(),
    template: z.string().nullable(),
    requireApproval: z.boolean(),
    error: z.string().nullable().meta({ description: "Why the task failed or was cancelled" }),
    usage,
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    completedAt: timestamp.nullable(),
    durationMs: z
      .number()
      .nullable()
      .meta({ description: "From start to completion (or to now while it runs; null while its plan awaits approval)" }),
  })
  .meta({ id: "TaskSummary" });

const toolCallView = z.object({
  callId: z.string(),
  tool: z.string(),
  input: z.unknown(),
  status: z.string(),
  excerpt: z.string().nullable(),
  error: z.string().nullable(),
  attempts: z.number().int(),
  durationMs: z.number().nullable(),
  startedAt: z.string(),
});

const executionView = z
  .object({
    id: z.string(),
    stepId: z.string(),
    agent: z.string(),
    status: z.enum(["queued", "running", "completed", "failed", "cancelled", "awaiting_tool_approval"]),
    attempt: z.number().int(),
    modelId: z.string().nullable(),
    input: z.unknown().meta({ description: "What the attempt was given: its subtask, and the steps whose outputs fed it (dependsOn)" }),
    output: z.unknown().meta({ description: "The agent's output (text, or structured output for agents that produce it)" }),
    error: z.string().nullable(),
    reusedFromId: z.string().nullable().meta({ description: "On a rerun: the execution whose output this step reused" }),
    agentVersion: z.number().int().nullable().meta({ description: "The team agent's version it ran; null for built-ins" }),
    usage,
    cached: z.boolean().meta({ description: "Every model call of this attempt was answered from the response cache: it cost nothing" }),
    startedAt: timestamp.nullable(),
    completedAt: timestamp.nullable(),
    toolCalls: z.array(toolCallView),
  })
  .meta({ id: "Execution" });

export const taskView = taskSummaryView
  .extend({
    parentTaskId: z.string().nullable().meta({ description: "The task this one reruns" }),
    rerunFromStep: z.string().nullable(),
    reruns: z.array(z.string()).meta({ description: "Ids of the tasks that rerun this one" }),
    approval: z.unknown().meta({ description: "Who approved or rejected the plan, and when" }),
    approvalDueAt: timestamp.nullable(),
    plan: z.unknown().meta({ description: "The plan: steps, the agent of each and why, their dependencies" }),
    result: z.unknown().meta({ description: "The final result once the task completed" }),
    executions: z.array(executionView),
    traceId: z.string().nullable().meta({
      description: "The OpenTelemetry trace of the task (32 hex digits) when tracing was on as it was created; null otherwise",
    }),
  })
  .meta({ id: "Task" });

/** A task as the list shows it: the summary, who submitted it, and the task it reruns. */
export const taskListItemView = taskSummaryView
  .extend({
    parentTaskId: z.string().nullable().meta({ description: "The task this one reruns" }),
    submitter: z
      .object({
        type: z.enum(["user", "api_key"]),
        id: z.string(),
        name: z.string().nullable().meta({ description: "The member's name or email, or the API key's name; null once deleted" }),
      })
      .nullable()
      .meta({ description: "Who submitted the task: a member or an API key" }),
  })
  .meta({ id: "TaskListItem" });

export const taskPageView = z
  .object({
    tasks: z.array(taskListItemView),
    nextCursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last" }),
  })
  .meta({ id: "TaskPage" });

export type TaskSummaryView = z.output<typeof taskSummaryView>;
export type TaskView = z.output<typeof taskView>;
export type TaskListItemView = z.output<typeof taskListItemView>;
