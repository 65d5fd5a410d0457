import { eventType } from "inngest";
import { z } from "zod";

/** Every event Chorus sends, typed once. Functions trigger on these; `send*` helpers create them. */
export const taskCreated = eventType("chorus/task.created", {
  schema: z.object({ taskId: z.string(), teamId: z.string() }),
});

export const agentStepInput = z.object({
  taskId: z.string(),
  teamId: z.string(),
  stepId: z.string(),
  agent: z.string(),
  subtask: z.string(),
  taskPrompt: z.string(),
  dependsOn: z.array(z.string()),
  upstream: z.array(z.object({ stepId: z.string(), agentKind: z.string(), text: z.string() })),
  totalSteps: z.number().int(),
});
export type AgentStepInput = z.infer<typeof agentStepInput>;
