import type { z } from "zod";

/**
 * What one tool module exports: its name and schema for the model, how long a call may take,
 * whether a failed call may be repeated, how its errors read, and the work itself. The runner
 * (run-tool.ts) does the rest the same way for every tool — deadline, retries with backoff,
 * recording, labelling the output as untrusted — so a tool file holds only what is its own.
 */

/** Something an agent used: a page, a document, a search hit. */
export interface Source {
  title: string;
  /** An http(s) address, or a dashboard path (`/knowledge/<id>`) for a knowledge-base document. */
  url?: string;
}

/** Told of every call; the agent step stores and streams what it hears. */
export interface ToolCallObserver {
  started(call: { callId: string; tool: string; input: unknown }): Promise<void>;
  ended(call: ToolCallEnd): Promise<void>;
}

export interface ToolCallEnd {
  callId: string;
  tool: string;
  status: "succeeded" | "failed" | "refused";
  excerpt: string | null;
  error: string | null;
  attempts: number;
  durationMs: number;
}

/** Who is calling: the tool scopes what it reads (the team's documents, the team's fetch policy) by these. */
export interface ToolCallScope {
  teamId: string;
  taskId: string;
  stepId: string;
  agentKind: string;
}

export interface ToolRun extends ToolCallScope {
  /** Fires on the call's deadline or when the task is cancelled. */
  signal: AbortSignal;
}

export interface ToolOutcome {
  /** What the model reads: a JSON value, bounded by the tool. */
  result: Record<string, unknown>;
  /** A short human-readable account of the result, stored on the call and shown on the task page. */
  excerpt: string;
  /** What the agent used, listed with the task's result. */
  sources?: Source[];
}

/**
 * refused: the call can never succeed as asked (a private address, a bad argument) — the model
 * is told why. retryable: worth another attempt (a timeout, a 5xx, a reset). failed: neither.
 */
export interface ToolErrorVerdict {
  kind: "refused" | "retryable" | "failed";
  /** Safe to show the model and the team: no secrets, no stack traces. */
  message: string;
}

export interface ToolSpec<Input extends Record<string, unknown> = Record<string, unknown>> {
  name: string;
  description: string;
  inputSchema: z.ZodType<Input>;
  /** The JSON Schema the model sees, when it is not the zod schema's own (an MCP server's). */
  modelSchema?: Record<string, unknown>;
  timeoutMs: number;
  /** Extra attempts after a retryable failure; more than 0 only where repeating a call is harmless. */
  retries: number;
  /** Its output comes from outside Chorus (documents, pages, search hits): labelled so the model treats it as data. */
  untrustedOutput: boolean;
  /** Every call waits for a person's approval (an MCP tool that says it is destructive). */
  needsApproval?: boolean;
  /** False when the tool cannot work on this instance (no search provider configured): agents are then not offered it. */
  available?(): boolean;
  run(input: Input, call: ToolRun): Promise<ToolOutcome>;
  classifyError(error: unknown): ToolErrorVerdict;
}

/** Declares a tool module; typed so `run` gets the parsed input of its own schema. */
export function defineTool<Input extends Record<string, unknown>>(spec: ToolSpec<Input>): ToolSpec<Input> {
  return spec;
}
