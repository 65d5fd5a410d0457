import { AppError } from "@/server/errors";
import { cutText } from "@/server/text/cut-text";
import type { ChatMessage } from "./chat-completion-input";

/**
 * How a chat conversation becomes one task prompt (docs/openai-compatible.md#the-prompt): the
 * last message — which must be the user's — is the request and comes first, because the planner
 * and the task list read a prompt's opening; the system (and developer) messages follow as
 * instructions, then the earlier turns as context, oldest first. When the whole is longer than
 * the task allows, the oldest turns go first, then the instructions are cut; the request itself
 * is never cut (a request that does not fit is a 400).
 */
export const CONTEXT_HEADING = "Context: this request continues a conversation.";
const INSTRUCTIONS_HEADING = "Instructions from the conversation's system prompt:";
const EARLIER_HEADING = "Earlier messages, oldest first:";

const speaker: Record<ChatMessage["role"], string> = {
  system: "System",
  developer: "System",
  user: "User",
  assistant: "Assistant",
  tool: "Tool result",
  function: "Tool result",
};

/** A message's text: its string, or its text parts joined; any other part is a 400 naming it. */
export function messageText(message: ChatMessage, index: number): string {
  const content = message.content;
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  return content
    .map((part, partIndex) => {
      if (part.type !== "text" || typeof part.text !== "string") {
        throw new AppError(
          "bad_request",
          `Only text content is supported; messages[${index}].content[${partIndex}] is of type "${String(part.type).slice(0, 40)}"`,
          `messages.${index}.content.${partIndex}.type`,
        );
      }
      return part.text;
    })
    .join("\n");
}

export function conversationPrompt(messages: readonly ChatMessage[], maxLength: number): string {
  const lastIndex = messages.length - 1;
  const last = messages[lastIndex]!;
  if (last.role !== "user") {
    throw new AppError(
      "bad_request",
      `The last message must be the user's (it is "${last.role}"): it is the request Chorus works on`,
      "messages",
    );
  }
  const texts = messages.map((message, index) => messageText(message, index).trim());
  const request = texts[lastIndex]!;
  if (!request) throw new AppError("bad_request", "The last message must not be empty", `messages.${lastIndex}.content`);
  if (request.length > maxLength) {
    throw new AppError(
      "bad_request",
      `The last message must be at most ${maxLength} characters for this model (it has ${request.length})`,
      `messages.${lastIndex}.content`,
    );
  }
  const instructions = messages
    .flatMap((message, index) =>
      index < lastIndex && (message.role === "system" || message.role === "developer") && texts[index] ? [texts[index]] : [],
    )
    .join("\n\n");
  let earlier = messages.flatMap((message, index) =>
    index < lastIndex && message.role !== "system" && message.role !== "developer" && texts[index]
      ? [`${speaker[message.role]}: ${texts[index]}`]
      : [],
  );

  const compose = (instructionText: string, turns: readonly string[]) => {
    if (!instructionText && turns.length === 0) return request;
    const sections = [request, "", "---", CONTEXT_HEADING];
    if (instructionText) sections.push("", INSTRUCTIONS_HEADING, instructionText);
    if (turns.length > 0) sections.push("", EARLIER_HEADING, turns.join("\n\n"));
    return sections.join("\n");
  };
  let prompt = compose(instructions, earlier);
  while (prompt.length > maxLength && earlier.length > 0) {
    earlier = earlier.slice(1);
    prompt = compose(instructions, earlier);
  }
  if (prompt.length <= maxLength) return prompt;
  // Only the instructions are left to shorten: keep their beginning, within what remains.
  const room = maxLength - compose("x", []).length + 1;
  return room > 20 ? compose(cutText(instructions, room - 1) + "…", []) : request;
}
