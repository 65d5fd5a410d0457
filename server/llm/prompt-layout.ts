/**
 * The layout of the user prompts Chorus sends to models: XML-style blocks, because upstream
 * outputs are markdown with their own headings and tags keep them from blurring into the
 * instructions (the layout Anthropic and OpenAI both recommend for long context). Agents
 * write prompts with `formatPromptBlocks`; the offline model reads them back with
 * `parsePromptBlocks`, so the two can never drift apart.
 */

export type PromptBlockName = "task" | "your_step" | "upstream_output" | "agents";

export interface PromptBlock {
  name: PromptBlockName;
  attributes: Record<string, string>;
  body: string;
}

export function formatPromptBlocks(blocks: readonly PromptBlock[]): string {
  return blocks
    .map(({ name, attributes, body }) => {
      const attributeText = Object.entries(attributes)
        .map(([key, value]) => ` ${key}="${escapeAttribute(value)}"`)
        .join("");
      return `<${name}${attributeText}>\n${body.trim()}\n</${name}>`;
    })
    .join("\n\n");
}

export function parsePromptBlocks(text: string): PromptBlock[] {
  const blocks: PromptBlock[] = [];
  for (const match of text.matchAll(/<(task|your_step|upstream_output|agents)((?:\s+[a-z_]+="[^"]*")*)\s*>\n?([\s\S]*?)\n?<\/\1>/g)) {
    const attributes: Record<string, string> = {};
    for (const attribute of (match[2] ?? "").matchAll(/([a-z_]+)="([^"]*)"/g)) {
      attributes[attribute[1] as string] = unescapeAttribute(attribute[2] ?? "");
    }
    blocks.push({ name: match[1] as PromptBlockName, attributes, body: (match[3] ?? "").trim() });
  }
  return blocks;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

function unescapeAttribute(value: string): string {
  return value
    .replace(/&lt;/g, "<")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}
