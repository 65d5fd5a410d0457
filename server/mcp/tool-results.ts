import { cutText } from "@/server/text/cut-text";

/**
 * An MCP tool result as the text a model reads: text parts as they are, structured content as
 * JSON, other parts (images, audio, binary resources) as a one-line note of what was there, all
 * capped so one tool cannot flood an agent's context.
 */
export const MAX_RESULT_CHARS = 20_000;

interface ContentPart {
  type: string;
  text?: string;
  mimeType?: string;
  data?: string;
  uri?: string;
  name?: string;
  resource?: { uri?: string; mimeType?: string; text?: string; blob?: string };
}

function partText(part: ContentPart): string {
  switch (part.type) {
    case "text":
      return part.text ?? "";
    case "resource":
      return part.resource?.text ?? `[resource ${part.resource?.uri ?? ""} (${part.resource?.mimeType ?? "binary"}), not text]`;
    case "resource_link":
      return `[link: ${part.name ?? ""} ${part.uri ?? ""}]`.replace(/\s+\]/, "]");
    default:
      return `[${part.type}${part.mimeType ? ` (${part.mimeType})` : ""}, not shown]`;
  }
}

export function flattenToolResult(
  result: { content?: unknown; structuredContent?: unknown; toolResult?: unknown },
  maxChars = MAX_RESULT_CHARS,
): string {
  const parts = Array.isArray(result.content) ? (result.content as ContentPart[]) : [];
  const texts = parts.map(partText).filter((text) => text !== "");
  if (texts.length === 0 && result.structuredContent !== undefined) texts.push(JSON.stringify(result.structuredContent));
  if (texts.length === 0 && result.toolResult !== undefined) texts.push(JSON.stringify(result.toolResult));
  const text = texts.join("\n\n");
  if (text.length <= maxChars) return text;
  const kept = cutText(text, maxChars);
  return `${kept}\n[… ${text.length - kept.length} more characters cut]`;
}
