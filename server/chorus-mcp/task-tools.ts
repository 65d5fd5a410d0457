import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { activeTaskStatuses, finishedTaskStatuses } from "@/server/domain/task-vocabulary";
import { knownError } from "@/server/errors";
import { logger } from "@/server/observability/logger";
import { enforceRateLimit, rateLimitIdentityOf } from "@/server/rate-limit";
import { awaitTaskEnd } from "@/server/tasks/await-task-end";
import { MAX_PROMPT_LENGTH } from "@/server/tasks/task-schemas";
import { createTask, getTask, listTasks } from "@/server/tasks/tasks";
import type { TaskSummaryView, TaskView } from "@/server/tasks/task-views";
import { cutTextWithEllipsis } from "@/server/text/cut-text";
import { progressLine } from "@/server/tasks/progress-lines";

/**
 * The tools Chorus offers an MCP host (docs/mcp-server.md): run_task, get_task, list_tasks.
 * Each acts as the API key that connected — the same use-cases and permission checks as the REST
 * API, inside that key's team — and a refusal (a viewer running a task, an unknown id, bad
 * arguments) comes back as a tool error with the reason, which the host's model can read and act
 * on, not as a protocol exception.
 */
export const DEFAULT_WAIT_SECONDS = 50;
export const MAX_WAIT_SECONDS = 300;
/** How far back list_tasks looks for tasks in the asked-for status. */
const LIST_SCAN_LIMIT = 500;

const statuses = [...activeTaskStatuses, ...finishedTaskStatuses] as const;

type ToolExtra = {
  signal: AbortSignal;
  _meta?: { progressToken?: string | number };
  sendNotification(notification: { method: "notifications/progress"; params: Record<string, unknown> }): Promise<void>;
};

export function registerTaskTools(server: McpServer, caller: Caller) {
  server.registerTool(
    "run_task",
    {
      title: "Run a Chorus task",
      description:
        "Hand a request to this team's Chorus: a coordinator plans it, runs the team's agents (research, analysis, synthesis and the team's own) in parallel and writes one markdown result with sources. Waits up to waitSeconds for the result; a longer task comes back with its id and status, to read later with get_task.",
      inputSchema: {
        prompt: z
          .string()
          .trim()
          .min(1, "prompt must not be empty")
          .max(MAX_PROMPT_LENGTH, `prompt must be at most ${MAX_PROMPT_LENGTH} characters`),
        waitSeconds: z
          .number()
          .int()
          .min(0)
          .max(MAX_WAIT_SECONDS)
          .optional()
          .describe(
            `How long to wait for the result, in seconds (default ${DEFAULT_WAIT_SECONDS}, at most ${MAX_WAIT_SECONDS}; 0: return at once)`,
          ),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    (args, extra) => asToolResult("run_task", () => runTask(caller, args, extra as unknown as ToolExtra)),
  );
  server.registerTool(
    "get_task",
    {
      title: "Read a Chorus task",
      description: "A task of this team by id: its status, plan, result (markdown) or error, and token usage.",
      inputSchema: { id: z.string().min(1, "id must not be empty").max(100, "id must be at most 100 characters") },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) => asToolResult("get_task", async () => describeTask(await getTask(caller, args.id))),
  );
  server.registerTool(
    "list_tasks",
    {
      title: "List Chorus tasks",
      description: `This team's most recent tasks, newest first, optionally only those in one status (looks at the last ${LIST_SCAN_LIMIT} tasks).`,
      inputSchema: {
        status: z
          .enum(statuses)
          .optional()
          .describe(`Only tasks in this status: ${statuses.join(", ")}`),
        limit: z.number().int().min(1).max(100).optional().describe("How many tasks to return (default 20, at most 100)"),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) => asToolResult("list_tasks", () => listRecentTasks(caller, args)),
  );
}

/** A tool's outcome: its result, or an expected refusal as a tool error with its message; a bug is logged and said vaguely. */
async function asToolResult(tool: string, run: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await run();
  } catch (error) {
    const known = knownError(error);
    if (!known) logger.error("MCP tool failed", { tool, error });
    return { isError: true, content: [{ type: "text", text: known ? known.message : "Something went wrong on Chorus's side" }] };
  }
}

async function runTask(caller: Caller, args: { prompt: string; waitSeconds?: number }, extra: ToolExtra): Promise<CallToolResult> {
  requirePermission(caller, "execute");
  // The endpoint counts as a write; a task spends, so it counts against the spend tier as REST's task creation does.
  await enforceRateLimit({ teamId: caller.teamId, identity: rateLimitIdentityOf(caller), tier: "spend" });
  const task = await createTask(caller, { prompt: args.prompt, requireApproval: false });
  const waitMs = (args.waitSeconds ?? DEFAULT_WAIT_SECONDS) * 1000;
  const progressToken = extra._meta?.progressToken;
  let progress = 0;
  const finished =
    waitMs === 0
      ? undefined
      : await awaitTaskEnd(caller, task.id, AbortSignal.any([extra.signal, AbortSignal.timeout(waitMs)]), (event) => {
          const line = progressToken === undefined ? undefined : progressLine(event);
          // Progress also keeps hosts that reset their timeout on progress waiting for the result.
          if (line)
            void extra
              .sendNotification({ method: "notifications/progress", params: { progressToken, progress: ++progress, message: line.trim() } })
              .catch(() => undefined);
        });
  if (finished) return describeTask(finished);
  const current = await getTask(caller, task.id);
  return {
    content: [
      {
        type: "text",
        text: `Task ${task.id} is ${current.status} and still working. Call get_task with id "${task.id}" later for its result.`,
      },
    ],
    structuredContent: { id: task.id, status: current.status },
  };
}

/** A task as a tool result: the result (or error) as text a model reads, everything as structured content. */
function describeTask(task: TaskView): CallToolResult {
  const markdown = (task.result as { markdown?: string } | null)?.markdown;
  const steps = ((task.plan as { steps?: Array<{ id: string; agent: string; subtask: string }> } | null)?.steps ?? []).map(
    ({ id, agent, subtask }) => ({ id, agent, subtask }),
  );
  const structured = {
    id: task.id,
    status: task.status,
    prompt: task.prompt,
    plan: steps,
    result: markdown ?? null,
    error: task.error,
    usage: task.usage,
    createdAt: task.createdAt,
    completedAt: task.completedAt,
  };
  const text =
    task.status === "completed"
      ? (markdown ?? "")
      : task.error
        ? `Task ${task.id} is ${task.status}: ${task.error}`
        : `Task ${task.id} is ${task.status}${steps.length ? `; its plan has ${steps.length} steps` : ""}.`;
  const failed = task.status === "failed" || task.status === "cancelled" || task.status === "budget_exceeded";
  return { content: [{ type: "text", text }], structuredContent: structured, ...(failed ? { isError: true } : {}) };
}

async function listRecentTasks(caller: Caller, args: { status?: string; limit?: number }): Promise<CallToolResult> {
  const limit = args.limit ?? 20;
  const found: TaskSummaryView[] = [];
  let cursor: string | undefined;
  for (let scanned = 0; scanned < LIST_SCAN_LIMIT && found.length < limit;) {
    const page = await listTasks(caller, { limit: 100, ...(cursor ? { cursor } : {}) });
    found.push(...page.tasks.filter((task) => !args.status || task.status === args.status));
    scanned += page.tasks.length;
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  const tasks = found.slice(0, limit).map((task) => ({
    id: task.id,
    status: task.status,
    prompt: cutTextWithEllipsis(task.prompt, 200),
    createdAt: task.createdAt,
    completedAt: task.completedAt,
  }));
  const text =
    tasks.length === 0
      ? `No tasks${args.status ? ` with status ${args.status}` : ""}.`
      : tasks
          .map((task) => `${task.id} · ${task.status} · ${task.createdAt} · ${cutTextWithEllipsis(task.prompt.replace(/\s+/g, " "), 100)}`)
          .join("\n");
  return { content: [{ type: "text", text }], structuredContent: { tasks } };
}
