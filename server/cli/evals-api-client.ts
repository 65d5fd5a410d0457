import type { z } from "zod";
import {
  comparisonView,
  datasetSummaryView,
  experimentView,
  type ComparisonView,
  type DatasetSummaryView,
  type ExperimentView,
  type StartExperimentInput,
} from "@/server/evals/eval-schemas";

/**
 * The evals REST API as `chorus eval run` calls it (`/api/v1/evals/…`, docs/evals.md), with an
 * API key, over plain fetch: the same path whether the server is remote or the one the CLI started
 * in-process (local mode). Answers are checked against the shared views, so a server that speaks
 * another version of the contract is reported as such instead of misread.
 */

/** A refusal or failure of the server (or no server at all: status 0), with its JSON error's code, message and field. */
export class EvalsApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export class EvalsApiClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly apiKey: string,
  ) {
    this.base = baseUrl.replace(/\/+$/, "");
  }

  /** The page of an experiment in the dashboard. */
  experimentUrl(id: string): string {
    return `${this.base}/evals/experiments/${encodeURIComponent(id)}`;
  }

  /** The team's dataset with exactly this name, or undefined. */
  async findDataset(name: string): Promise<DatasetSummaryView | undefined> {
    const listed = await this.request("GET", `/api/v1/evals/datasets?name=${encodeURIComponent(name)}`, datasetSummaryView.array());
    return listed.find((dataset) => dataset.name === name);
  }

  startExperiment(input: StartExperimentInput): Promise<ExperimentView> {
    return this.request("POST", "/api/v1/evals/experiments", experimentView, input);
  }

  getExperiment(id: string): Promise<ExperimentView> {
    return this.request("GET", `/api/v1/evals/experiments/${encodeURIComponent(id)}`, experimentView);
  }

  async cancelExperiment(id: string): Promise<void> {
    await this.request("POST", `/api/v1/evals/experiments/${encodeURIComponent(id)}/cancel`, undefined);
  }

  /** `a` is the baseline, `b` the candidate (deltas are b − a). */
  compare(a: string, b: string): Promise<ComparisonView> {
    return this.request("GET", `/api/v1/evals/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`, comparisonView);
  }

  private async request<T>(method: string, path: string, answer: z.ZodType<T>, body?: unknown): Promise<T>;
  private async request(method: string, path: string, answer: undefined, body?: unknown): Promise<undefined>;
  private async request<T>(method: string, path: string, answer: z.ZodType<T> | undefined, body?: unknown): Promise<T | undefined> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.apiKey}`,
          accept: "application/json",
          ...(body ? { "content-type": "application/json" } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new EvalsApiError(0, "unreachable", `could not reach Chorus at ${this.base} (${cause})`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
      throw new EvalsApiError(
        response.status,
        error?.code ?? "http_error",
        error?.message ?? `${method} ${path} answered ${response.status}`,
        error?.field,
      );
    }
    if (!answer) return undefined;
    const parsed = answer.safeParse(json);
    if (!parsed.success)
      throw new EvalsApiError(
        response.status,
        "unexpected_answer",
        `${method} ${path} answered in a shape this CLI does not know (${parsed.error.issues[0]?.path.join(".") || "body"}: ${parsed.error.issues[0]?.message}); is the server a different version of Chorus?`,
      );
    return parsed.data;
  }
}
