import { z } from "zod";

/** Task input, shared by tRPC, REST and the dashboard form. */
export const MAX_PROMPT_LENGTH = 20_000;

export const createTaskInput = z.object({
  prompt: z
    .string({ error: "prompt is required and must be a string" })
    .trim()
    .min(1, "prompt must not be empty")
    .max(MAX_PROMPT_LENGTH, `prompt must be at most ${MAX_PROMPT_LENGTH} characters`),
  template: z.string().trim().max(100, "template must be at most 100 characters").optional(),
  requireApproval: z.boolean({ error: "requireApproval must be a boolean" }).optional().default(false),
});
export type CreateTaskInput = z.input<typeof createTaskInput>;

export const taskId = z.string().regex(/^[a-z0-9]{20,40}$/i, "is not a task id");

export const listTasksInput = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().optional(),
});
