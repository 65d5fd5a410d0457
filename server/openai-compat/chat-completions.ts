import { requirePermission, type Caller } from "@/server/auth/caller";
import type { RunEvent } from "@/server/db/queries/run-events";
import { AppError, errorBody, httpStatusOf, knownError } from "@/server/errors";
import { logger } from "@/server/observability/logger";
import { MAX_SUBTASK_LENGTH } from "@/server/agents";
import { awaitTaskEnd } from "@/server/tasks/await-task-end";
import { cancelTask } from "@/server/tasks/task-actions";
import { MAX_PROMPT_LENGTH } from "@/server/tasks/task-schemas";
import { createTask } from "@/server/tasks/tasks";
import type { TaskView } from "@/server/tasks/task-views";
import { tryAgent } from "@/server/tasks/try-agent";
import { progressLine } from "@/server/tasks/progress-lines";
import { parseInput } from "@/server/validation";
import { chatCompletionInput } from "./chat-completion-input";
import { conversationPrompt } from "./conversation-prompt";
import { resolveChatModel } from "./models";
import { openAiErrorBody } from "./openai-errors";
import { contentPieces } from "./content-pieces";

/**
 * `POST /api/v1/chat/completions` (docs/openai-compatible.md): a chat request becomes a Chorus
 * task — the coordinator's for model `chorus`, one agent's alone (as "try it" runs it) for an
 * agent kind — stored, streamed and listed like any other; the finished task's result is the
 * completion and its recorded tokens the usage. Streaming sends progress as
 * `delta.reasoning_content` while the task runs and the result as `delta.content` once it is
 * final, so the content a client joins is exactly the stored result. The client going away
 * cancels the task: nobody is left to read it, and cancelling stops the model spend.
 */
export type ChatCompletionAnswer =
  | { kind: "json"; body: ChatCompletion; headers: Record<string, string> }
  | { kind: "stream"; stream: ReadableStream<Uint8Array>; headers: Record<string, string> };

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: Array<{
    index: 0;
    message: { role: "assistant"; content: string; refusal: null };
    logprobs: null;
    finish_reason: "stop";
  }>;
  usage: CompletionUsage;
  /** Not OpenAI's: the task that answered, for finding it in Chorus. */
  chorus: { taskId: string };
}

interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

const HEARTBEAT_MS = 15_000;
/** Failures are final: OpenAI's clients retry 409, 429 and 5xx unless told not to, and a retry would run the task again. */
const NO_RETRY = { "x-should-retry": "false" };

export async function createChatCompletion(caller: Caller, rawInput: unknown, signal: AbortSignal): Promise<ChatCompletionAnswer> {
  requirePermission(caller, "execute");
  const input = parseInput(chatCompletionInput, rawInput);
  const model = await resolveChatModel(caller, input.model);
  const prompt = conversationPrompt(input.messages, model.coordinator ? MAX_PROMPT_LENGTH : MAX_SUBTASK_LENGTH);
  // No plan approval: the caller is waiting on the answer (docs/openai-compatible.md#decisions-and-limits).
  const task = model.coordinator
    ? await createTask(caller, { prompt, requireApproval: false })
    : await tryAgent(caller, model.kind, { prompt });
  const identity = { id: `chatcmpl-${task.id}`, created: Math.floor(Date.parse(task.createdAt) / 1000), model: input.model };
  const headers = { "X-Chorus-Task-Id": task.id };
  if (input.stream) {
    return {
      kind: "stream",
      stream: completionStream(caller, task.id, identity, input.stream_options?.include_usage === true, signal),
      headers,
    };
  }
  const finished = await awaitTaskEnd(caller, task.id, signal);
  if (!finished) {
    await cancelAbandonedTask(caller, task.id);
    // The client is gone; this answer reaches no one.
    throw new AppError("conflict", "The request was abandoned, so its task was cancelled");
  }
  const answer = answerOf(finished);
  return {
    kind: "json",
    headers,
    body: {
      ...identity,
      object: "chat.completion",
      choices: [{ index: 0, message: { role: "assistant", content: answer, refusal: null }, logprobs: null, finish_reason: "stop" }],
      usage: usageOf(finished),
      chorus: { taskId: task.id },
    },
  };
}

/** The result of a completed task; a task that ended otherwise is an error saying how, and not to retry. */
function answerOf(task: TaskView): string {
  if (task.status === "completed") return (task.result as { markdown?: string } | null)?.markdown ?? "";
  const reason = task.error ? `: ${task.error}` : "";
  if (task.status === "cancelled") throw new AppError("conflict", `The task ${task.id} was cancelled${reason}`, undefined, NO_RETRY);
  if (task.status === "budget_exceeded") {
    throw new AppError("rate_limited", `The task ${task.id} stopped at its budget${reason}`, undefined, NO_RETRY);
  }
  throw new AppError("unavailable", `The task ${task.id} failed${reason}`, undefined, NO_RETRY);
}

function usageOf(task: TaskView): CompletionUsage {
  const { inputTokens, outputTokens } = task.usage;
  return { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
}

async function cancelAbandonedTask(caller: Caller, taskId: string) {
  try {
    await cancelTask(caller, taskId);
    logger.info("chat completion abandoned by its client: task cancelled", { taskId });
  } catch (error) {
    // Finished meanwhile (a 409): nothing to stop.
    if (!(error instanceof AppError)) logger.warn("could not cancel an abandoned chat completion's task", { taskId, error });
  }
}

/**
 * The streaming answer, as OpenAI sends it: `data: <chat.completion.chunk>` events — the role,
 * progress lines as reasoning_content, the result as content in pieces of a few words, a last
 * chunk with finish_reason "stop", the usage chunk (choices empty) when asked for — then
 * `data: [DONE]`. A task that does not complete ends the stream with an error event in OpenAI's
 * shape, which its clients raise. Comments keep a quiet connection open through proxies.
 */
function completionStream(
  caller: Caller,
  taskId: string,
  identity: { id: string; created: number; model: string },
  includeUsage: boolean,
  requestSignal: AbortSignal,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const stop = new AbortController();
  const signal = AbortSignal.any([requestSignal, stop.signal]);
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let open = true;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const write = (text: string) => {
        if (open) controller.enqueue(encoder.encode(text));
      };
      const chunk = (delta: Record<string, unknown>, finishReason: "stop" | null = null) =>
        write(
          `data: ${JSON.stringify({
            ...identity,
            object: "chat.completion.chunk",
            choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
            ...(includeUsage ? { usage: null } : {}),
          })}\n\n`,
        );
      const finish = () => {
        if (!open) return;
        open = false;
        clearInterval(heartbeat);
        try {
          controller.close();
        } catch {
          // Cancelled by the client already.
        }
      };
      heartbeat = setInterval(() => write(": keep-alive\n\n"), HEARTBEAT_MS);
      chunk({ role: "assistant", content: "" });
      void (async () => {
        try {
          const finished = await awaitTaskEnd(caller, taskId, signal, (event: RunEvent) => {
            const line = progressLine(event);
            if (line) chunk({ reasoning_content: line });
          });
          if (!finished) {
            await cancelAbandonedTask(caller, taskId);
            return;
          }
          for (const piece of contentPieces(answerOf(finished))) chunk({ content: piece });
          chunk({}, "stop");
          if (includeUsage) {
            write(`data: ${JSON.stringify({ ...identity, object: "chat.completion.chunk", choices: [], usage: usageOf(finished) })}\n\n`);
          }
          write("data: [DONE]\n\n");
        } catch (error) {
          write(`data: ${JSON.stringify(streamErrorBody(error, taskId))}\n\n`);
        } finally {
          finish();
        }
      })();
    },
    cancel() {
      open = false;
      clearInterval(heartbeat);
      stop.abort();
    },
  });
}

/** An error after the stream began, as the event OpenAI's clients raise: its shape and code as a JSON answer would have had. */
function streamErrorBody(error: unknown, taskId: string) {
  const known = knownError(error);
  if (known) return openAiErrorBody(httpStatusOf[known.code], errorBody(known));
  logger.error("chat completion stream failed", { taskId, error });
  return openAiErrorBody(500, { error: { code: "internal", message: "Something went wrong on our side" } });
}
