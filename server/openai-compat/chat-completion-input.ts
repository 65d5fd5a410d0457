import { z } from "zod";

/**
 * The request body of `POST /api/v1/chat/completions`, in OpenAI's Chat Completions shape, as far
 * as Chorus honours it (docs/openai-compatible.md): `model`, `messages` (text only), `stream`,
 * `stream_options.include_usage`. Sampling fields (temperature, max_tokens, seed, user, …) are
 * accepted and ignored, since Chorus's agents choose their own models; fields that would change
 * what the answer is (`n` other than 1, `tools`) are refused by name rather than ignored.
 */
const textPart = z.object({ type: z.literal("text"), text: z.string({ error: "a text part needs its text" }).max(200_000) });
const otherPart = z.object({ type: z.string().max(100) }).loose();

const messageContent = z.union([z.string().max(200_000), z.array(z.union([textPart, otherPart])).max(100), z.null()], {
  error: "content must be a string or an array of text parts",
});

export const chatRoles = ["system", "developer", "user", "assistant", "tool", "function"] as const;

const message = z.object({
  role: z.enum(chatRoles, { error: `role must be one of ${chatRoles.join(", ")}` }),
  content: messageContent.optional(),
  name: z.string().max(200).optional(),
});

export const chatCompletionInput = z.object({
  model: z
    .string({ error: "model is required: chorus, or one of the team's agent kinds (GET /api/v1/models)" })
    .min(1, "model must not be empty")
    .max(100, "model must be at most 100 characters"),
  messages: z
    .array(message, { error: "messages is required: the conversation, ending with the user's message" })
    .min(1, "messages must hold at least one message")
    .max(1000, "messages must hold at most 1000 messages"),
  stream: z.boolean({ error: "stream must be a boolean" }).nullish(),
  stream_options: z
    .object(
      { include_usage: z.boolean({ error: "stream_options.include_usage must be a boolean" }).nullish() },
      {
        error: "stream_options must be an object",
      },
    )
    .nullish(),
  n: z.literal(1, { error: "n must be 1: Chorus answers with one completion" }).nullish(),
  tools: z.array(z.unknown()).max(0, "tools are not supported: Chorus's agents call their own tools (docs/tools.md)").nullish(),
});

export type ChatCompletionInput = z.output<typeof chatCompletionInput>;
export type ChatMessage = ChatCompletionInput["messages"][number];
