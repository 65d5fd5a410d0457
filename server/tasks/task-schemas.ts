import { z } from "zod";
import { activeTaskStatuses, finishedTaskStatuses } from "@/server/domain/task-vocabulary";

/** Task input, shared by tRPC, REST and the dashboard form. */
export const MAX_PROMPT_LENGTH = 20_000;
/** Budgets above these are typos, not budgets (and keep the reservation arithmetic in range). */
export const MAX_TASK_COST_USD = 100_000;
export const MAX_TASK_TOKENS = 1_000_000_000;

export const createTaskInput = z.object({
  prompt: z
    .string({ error: "prompt is required and must be a string" })
    .trim()
    .min(1, "prompt must not be empty")
    .max(MAX_PROMPT_LENGTH, `prompt must be at most ${MAX_PROMPT_LENGTH} characters`),
  template: z.string().trim().max(100, "template must be at most 100 characters").optional(),
  requireApproval: z.boolean({ error: "requireApproval must be a boolean" }).optional().default(false),
  /** false: every model call of this task goes to the model, never to the response cache (docs/model-usage.md). */
  cache: z.boolean({ error: "cache must be a boolean" }).optional().default(true),
  /** Hard budgets (docs/model-usage.md#budgets): the task ends budget_exceeded rather than spend more. */
  maxCostUsd: z
    .number({ error: "maxCostUsd must be a number of US dollars" })
    .positive("maxCostUsd must be more than 0")
    .max(MAX_TASK_COST_USD, `maxCostUsd must be at most ${MAX_TASK_COST_USD}`)
    .optional(),
  maxTokens: z
    .number({ error: "maxTokens must be a whole number of tokens" })
    .int("maxTokens must be a whole number of tokens")
    .positive("maxTokens must be more than 0")
    .max(MAX_TASK_TOKENS, `maxTokens must be at most ${MAX_TASK_TOKENS}`)
    .optional(),
});
export type CreateTaskInput = z.input<typeof createTaskInput>;

export const taskId = z.string().regex(/^[a-z0-9]{20,40}$/i, "is not a task id");

const taskStatus = z.enum([...activeTaskStatuses, ...finishedTaskStatuses], {
  error: `status must be one or more of ${[...activeTaskStatuses, ...finishedTaskStatuses].join(", ")}`,
});
/** A date (the whole day, UTC) or a date-time with a zone. */
const listDate = (name: string) =>
  z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: `${name} must be a date (YYYY-MM-DD, UTC) or an ISO date-time with a zone`,
  });

/**
 * The task list's query, the same for REST (a query string: repeated or comma-separated
 * `status`) and tRPC (arrays too); docs/dashboard.md and docs/api.md.
 */
export const listTasksInput = z.object({
  limit: z.coerce.number({ error: "limit must be a whole number from 1 to 100" }).int().min(1).max(100).default(50),
  // null: the first page (what an infinite query's first page passes).
  cursor: z.string().max(100, "cursor must be the nextCursor of an earlier page").nullish(),
  q: z
    .string({ error: "q must be a string" })
    .trim()
    .max(500, "q must be at most 500 characters")
    .optional()
    .meta({ description: 'Words to find in prompts and results (stemmed, English): "a phrase", -without, or' }),
  status: z
    .union([taskStatus, z.array(taskStatus).max(7, "status may list at most 7 statuses")])
    .optional()
    .meta({ description: "Only tasks in these statuses (repeat the parameter, or separate with commas)" }),
  agent: z
    .string({ error: "agent must be an agent kind" })
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "agent must be an agent kind (lowercase letters, digits, - and _)")
    .optional()
    .meta({ description: "Only tasks that ran this agent kind" }),
  submitter: z
    .string({ error: "submitter must be user:<id> or api_key:<id>" })
    .regex(/^(user|api_key):[A-Za-z0-9_-]{1,64}$/, "submitter must be user:<id> or api_key:<id>")
    .optional()
    .meta({ description: "Only tasks submitted by this member (user:<id>) or API key (api_key:<id>)" }),
  createdFrom: listDate("createdFrom").optional().meta({ description: "Created at or after (a date means its start, UTC)" }),
  createdTo: listDate("createdTo").optional().meta({ description: "Created at or before (a date means up to its end, UTC)" }),
});
export type ListTasksInput = z.input<typeof listTasksInput>;

/** Where the team stream resumes (GET /api/v1/events): the `id:` of the last event seen; a Last-Event-ID header wins. */
export const teamEventsQuery = z.object({
  after: z
    .string({ error: "after must be the id of an event of this stream (<number>-<number>)" })
    .regex(/^\d{1,20}-\d{1,20}$/, "after must be the id of an event of this stream (<number>-<number>)")
    .optional()
    .meta({ description: "The id of the last event already seen: the stream starts after it (without it: from now)" }),
});

export const approveTaskInput = z.object({
  /** An edited plan to run instead of the proposed one; validated like a planner's plan. */
  plan: z.unknown().optional(),
});

export const rejectTaskInput = z.object({
  reason: z.string({ error: "reason must be a string" }).trim().max(1000, "reason must be at most 1000 characters").optional(),
});

export const rerunTaskInput = z.object({
  fromStep: z.string({ error: "fromStep is required: the id of the plan step to run again" }).min(1, "fromStep must not be empty"),
  /** A new instruction for that step (its `subtask`); later steps run again with its new output. */
  input: z
    .string({ error: "input must be a string" })
    .trim()
    .min(1, "input must not be empty")
    .max(4000, "input must be at most 4000 characters")
    .optional(),
});

export const approveToolCallInput = z.object({
  /** The call's input as edited by the member; the tool's own schema checks it. Absent: run it as the agent asked. */
  input: z.record(z.string(), z.unknown(), { error: "input must be a JSON object: the tool's arguments" }).optional(),
});

export const denyToolCallInput = z.object({
  reason: z.string({ error: "reason must be a string" }).trim().max(1000, "reason must be at most 1000 characters").optional(),
});

/** A tool call's id as the model gave it; bounded so it is never used to probe with huge strings. */
export const toolCallIdSchema = z.string().min(1, "callId must not be empty").max(200, "callId must be at most 200 characters");
