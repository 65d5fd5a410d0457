import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll } from "vitest";
import { buildDefaultPlan } from "@/server/agents/default-plan";
import { PROXY_ERROR_PAGE } from "./openai-wire-server";

/**
 * A local server speaking Anthropic's Messages API (POST /v1/messages): the planner's structured
 * output as a plain JSON message (answered through the forced `json` tool the AI SDK uses for
 * models without native structured output, or as JSON text when the request asks for an
 * `output_config.format`), and agents' answers streamed as Anthropic's SSE events — text blocks,
 * and `tool_use` blocks whose input arrives as `input_json_delta` pieces. Every message reports
 * its usage. The real @ai-sdk/anthropic client runs against it via ANTHROPIC_BASE_URL.
 */

export type AnthropicContentBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: "tool_result"; tool_use_id: string; content: string | Array<{ type: string; text?: string }>; is_error?: boolean }
  | { type: string; [field: string]: unknown };

export interface MessagesRequest {
  model: string;
  stream?: boolean;
  system?: string | Array<{ type: "text"; text: string }>;
  messages: Array<{ role: "user" | "assistant"; content: string | AnthropicContentBlock[] }>;
  tools?: Array<{ name: string; description?: string; input_schema?: unknown }>;
  tool_choice?: { type: string; name?: string };
  output_config?: { format?: { type: string; schema?: unknown } };
  [field: string]: unknown;
}

export interface RecordedMessagesRequest {
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: MessagesRequest;
}

interface Usage {
  input: number;
  output: number;
}

type Reply =
  | { status: number; type: string; message: string }
  /** A tool call, optionally after some text (Claude often says what it is about to do). */
  | { toolUse: { name: string; input: Record<string, unknown> }; text?: string }
  /** The first `pieces` text pieces, then a `data:` line that is not JSON ("not-json", the default) or an event of the wrong shape ("wrong-shape"), and the end. */
  | { malformedAfterPieces: number; malformed?: "not-json" | "wrong-shape" }
  /** 200 with `content-type: text/event-stream` whose body is an HTML page: a proxy's error page. */
  | { htmlEventStream: true }
  /** The first `pieces` text pieces, then Anthropic's `error` event (as when it is overloaded mid-answer). */
  | { errorAfterPieces: number };

export interface AnthropicWireServerOptions {
  /** The model id the server reports. */
  model?: string;
  /** The text pieces of a streamed answer. */
  pieces?: string[];
  /** Usage of a streamed answer that ends the turn. */
  streamUsage?: Usage;
  /** Usage of a streamed answer that stops at a tool call. */
  toolUseUsage?: Usage;
  /** Usage of the planner's (non-streamed) answer. */
  planUsage?: Usage;
  /** The plan returned for structured output, from the request's user text. */
  plan?: (requestText: string) => unknown;
  /** A special reply for a request (an error, a tool call), or undefined for the normal one. */
  respond?: (request: MessagesRequest, index: number) => Reply | undefined;
}

/** The text of a system prompt, whichever form the client sent it in. */
export function systemText(request: MessagesRequest): string {
  return typeof request.system === "string" ? request.system : (request.system ?? []).map((block) => block.text).join("\n");
}

/** The content blocks of every message, in order. */
export function contentBlocks(request: MessagesRequest): AnthropicContentBlock[] {
  return request.messages.flatMap((message) =>
    typeof message.content === "string" ? [{ type: "text" as const, text: message.content }] : message.content,
  );
}

/** The text blocks' text, joined. */
export function textOf(blocks: readonly AnthropicContentBlock[]): string {
  return blocks.map((block) => (block.type === "text" && typeof block.text === "string" ? block.text : "")).join("\n");
}

/** The tool results the client sent back, in order. */
export function toolResults(request: MessagesRequest) {
  return contentBlocks(request).filter(
    (block): block is Extract<AnthropicContentBlock, { type: "tool_result" }> => block.type === "tool_result",
  );
}

/** A tool result's text, whichever form it came in. */
export function toolResultText(block: Extract<AnthropicContentBlock, { type: "tool_result" }>): string {
  return typeof block.content === "string" ? block.content : block.content.map((part) => part.text ?? "").join("");
}

export async function startAnthropicWireServer(options: AnthropicWireServerOptions = {}) {
  const model = options.model ?? "claude-wire-test";
  const pieces = options.pieces ?? ["# Notes\n\n", "- One finding.\n", "- Another finding.\n"];
  const streamUsage = options.streamUsage ?? { input: 40, output: 12 };
  const toolUseUsage = options.toolUseUsage ?? { input: 30, output: 8 };
  const planUsage = options.planUsage ?? { input: 100, output: 50 };
  const requests: RecordedMessagesRequest[] = [];

  const event = (res: ServerResponse, payload: { type: string; [field: string]: unknown }) =>
    res.write(`event: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`);

  const answerPlan = (res: ServerResponse, body: MessagesRequest, index: number) => {
    const userText = textOf(contentBlocks({ ...body, messages: body.messages.filter((message) => message.role === "user") }));
    const plan = (options.plan ?? ((prompt) => buildDefaultPlan(prompt.slice(0, 200))))(userText);
    // The AI SDK forces a tool named `json` for models without native structured output, else asks for a format.
    const viaTool = body.tools?.some((tool) => tool.name === "json") === true;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        type: "message",
        id: `msg_plan_${index}`,
        role: "assistant",
        model,
        content: viaTool
          ? [{ type: "tool_use", id: `toolu_plan_${index}`, name: "json", input: plan }]
          : [{ type: "text", text: JSON.stringify(plan) }],
        stop_reason: viaTool ? "tool_use" : "end_turn",
        stop_sequence: null,
        usage: { input_tokens: planUsage.input, output_tokens: planUsage.output },
      }),
    );
  };

  const streamBroken = (
    res: ServerResponse,
    index: number,
    special: Extract<Reply, { malformedAfterPieces: number }> | Extract<Reply, { errorAfterPieces: number }>,
  ) => {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const message = { id: `msg_${index}`, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null };
    event(res, { type: "message_start", message: { ...message, usage: { input_tokens: streamUsage.input, output_tokens: 1 } } });
    event(res, { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
    const good = "errorAfterPieces" in special ? special.errorAfterPieces : special.malformedAfterPieces;
    for (const piece of pieces.slice(0, good))
      event(res, { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: piece } });
    if ("errorAfterPieces" in special) {
      event(res, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
      res.end();
      return;
    }
    if (special.malformed === "wrong-shape") event(res, { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: 42 } });
    else res.write("event: content_block_delta\ndata: {this is not json\n\n");
    res.end();
  };

  const streamAnswer = (res: ServerResponse, index: number, special: Extract<Reply, { toolUse: unknown }> | undefined) => {
    const usage = special ? toolUseUsage : streamUsage;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    event(res, {
      type: "message_start",
      message: {
        id: `msg_${index}`,
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: usage.input, output_tokens: 1 },
      },
    });
    event(res, { type: "ping" });
    let block = 0;
    const textPieces = special ? (special.text ? [special.text] : []) : pieces;
    if (textPieces.length > 0) {
      event(res, { type: "content_block_start", index: block, content_block: { type: "text", text: "" } });
      for (const piece of textPieces) event(res, { type: "content_block_delta", index: block, delta: { type: "text_delta", text: piece } });
      event(res, { type: "content_block_stop", index: block });
      block += 1;
    }
    if (special) {
      const json = JSON.stringify(special.toolUse.input);
      const middle = Math.floor(json.length / 2);
      event(res, {
        type: "content_block_start",
        index: block,
        content_block: { type: "tool_use", id: `toolu_${index}`, name: special.toolUse.name, input: {} },
      });
      // The input arrives in pieces that are not JSON on their own, as it does from Anthropic.
      for (const partial of ["", json.slice(0, middle), json.slice(middle)]) {
        event(res, { type: "content_block_delta", index: block, delta: { type: "input_json_delta", partial_json: partial } });
      }
      event(res, { type: "content_block_stop", index: block });
    }
    event(res, {
      type: "message_delta",
      delta: { stop_reason: special ? "tool_use" : "end_turn", stop_sequence: null },
      usage: { output_tokens: usage.output },
    });
    event(res, { type: "message_stop" });
    res.end();
  };

  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (data: Buffer) => (raw += data.toString()));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/messages") {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ type: "error", error: { type: "not_found_error", message: `No route ${req.method} ${req.url}` } }));
        return;
      }
      const body = JSON.parse(raw) as MessagesRequest;
      requests.push({ url: req.url, headers: req.headers, body });
      const index = requests.length - 1;
      const special = options.respond?.(body, index);
      if (special && "status" in special) {
        res.writeHead(special.status, { "content-type": "application/json" });
        res.end(JSON.stringify({ type: "error", error: { type: special.type, message: special.message } }));
        return;
      }
      if (!body.stream) return answerPlan(res, body, index);
      if (special && "htmlEventStream" in special) {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(PROXY_ERROR_PAGE);
        return;
      }
      if (special && ("malformedAfterPieces" in special || "errorAfterPieces" in special)) return streamBroken(res, index, special);
      streamAnswer(res, index, special);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const PROVIDER_VARIABLES = ["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_BASE_URL", "OPENAI_API_KEY", "CHORUS_MODEL"] as const;

/**
 * Starts the server for the test file and makes Anthropic Chorus's provider: ANTHROPIC_API_KEY set
 * (a test key), ANTHROPIC_BASE_URL (server/llm/providers.ts) pointing here, and the OpenAI
 * settings, which would take precedence, unset. Restores them afterwards.
 */
export function useAnthropicWireServer(options: AnthropicWireServerOptions = {}) {
  let server: Awaited<ReturnType<typeof startAnthropicWireServer>> | undefined;
  const saved = new Map<string, string | undefined>();
  beforeAll(async () => {
    server = await startAnthropicWireServer(options);
    for (const name of PROVIDER_VARIABLES) saved.set(name, process.env[name]);
    for (const name of PROVIDER_VARIABLES) delete process.env[name];
    process.env.ANTHROPIC_API_KEY = "sk-ant-wire-test";
    process.env.ANTHROPIC_BASE_URL = server.baseURL;
  });
  afterAll(async () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await server?.close();
  });
  return {
    /** The bodies of the requests received, in order. */
    get requests() {
      return (server?.requests ?? []).map((request) => request.body);
    },
    /** The requests with their URL and headers. */
    get recorded() {
      return server?.requests ?? [];
    },
  };
}
