import { z } from "zod";
import { modelRoutingSchema } from "@/server/llm/model-routing";
import { MAX_PROMPT_LENGTH, MAX_TASK_COST_USD, MAX_TASK_TOKENS } from "@/server/tasks/task-schemas";

/**
 * Evals' shapes (issue #24, docs/evals.md), shared by tRPC, REST (and so the OpenAPI document),
 * the CLI and the dashboard: what a case expects, a dataset and its edits, an experiment's
 * configuration, and a scorer's answer. One file so every surface validates the same way.
 */

export const MAX_CASES_PER_DATASET = 2_000;
export const MAX_EXPERIMENT_CONCURRENCY = 16;
export const DEFAULT_EXPERIMENT_CONCURRENCY = 4;
/** A case passes when its weighted score reaches this, unless the configuration says otherwise. */
export const DEFAULT_PASS_SCORE = 0.7;

const shortText = (name: string, max: number) =>
  z
    .string({ error: `${name} must be a string` })
    .trim()
    .max(max, `${name} must be at most ${max} characters`);

/** A dataset's name: what the CLI's --dataset names it by. */
export const datasetName = z
  .string({ error: "name is required and must be a string" })
  .trim()
  .min(1, "name must not be empty")
  .max(100, "name must be at most 100 characters")
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u, "name may hold letters, digits, spaces, '.', '_' and '-', and starts with a letter or digit");

/** A case's stable key: kept when the case is edited, so comparisons match it across versions. */
export const caseKey = z
  .string({ error: "key must be a string" })
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "key must be 1–64 letters, digits, '.', '_' or '-'");

/** What a case's result must satisfy; every field is optional, and a scorer runs only when its field is set. */
export const evalExpectations = z.strictObject({
  /** Facts the result must contain (case-insensitive substrings). */
  contains: z
    .array(shortText("contains[]", 500).min(1, "contains[] entries must not be empty"))
    .max(50, "contains may list at most 50 facts")
    .optional(),
  /** Regular expressions (JavaScript syntax, `i` flag) the result must match. */
  matches: z
    .array(
      shortText("matches[]", 500).refine((value) => {
        try {
          new RegExp(value, "i");
          return true;
        } catch {
          return false;
        }
      }, "matches[] entries must be valid regular expressions"),
    )
    .max(20, "matches may list at most 20 patterns")
    .optional(),
  /** A JSON Schema the result (or the JSON block in it) must validate against. */
  jsonSchema: z.record(z.string(), z.unknown(), { error: "jsonSchema must be a JSON Schema object" }).optional(),
  /** Sources the result must cite: knowledge-base document titles or ids, or URLs. */
  citations: z
    .array(shortText("citations[]", 2000).min(1, "citations[] entries must not be empty"))
    .max(20, "citations may list at most 20 sources")
    .optional(),
  /** What a judge model scores the result against. */
  rubric: shortText("rubric", 4000).min(1, "rubric must not be empty").optional(),
  /** A reference answer the result's similarity is measured to. */
  reference: shortText("reference", 20_000).min(1, "reference must not be empty").optional(),
  maxCostUsd: z
    .number({ error: "maxCostUsd must be a number" })
    .positive("maxCostUsd must be more than 0")
    .max(MAX_TASK_COST_USD)
    .optional(),
  maxTokens: z
    .number({ error: "maxTokens must be a whole number" })
    .int("maxTokens must be a whole number")
    .positive("maxTokens must be more than 0")
    .max(MAX_TASK_TOKENS)
    .optional(),
  maxDurationMs: z
    .number({ error: "maxDurationMs must be a whole number of milliseconds" })
    .int("maxDurationMs must be a whole number of milliseconds")
    .positive("maxDurationMs must be more than 0")
    .max(24 * 3600_000, "maxDurationMs must be at most a day")
    .optional(),
});
export type EvalExpectations = z.infer<typeof evalExpectations>;

export const evalCaseInput = z.strictObject({
  /** Given: kept (an edit of that case); absent: a new key is made. */
  key: caseKey.optional(),
  prompt: z
    .string({ error: "prompt is required and must be a string" })
    .trim()
    .min(1, "prompt must not be empty")
    .max(MAX_PROMPT_LENGTH, `prompt must be at most ${MAX_PROMPT_LENGTH} characters`),
  expected: evalExpectations.default({}),
});
export type EvalCaseInput = z.input<typeof evalCaseInput>;

export const createDatasetInput = z.strictObject({
  name: datasetName,
  description: shortText("description", 2000).optional(),
  cases: z.array(evalCaseInput).max(MAX_CASES_PER_DATASET, `cases may hold at most ${MAX_CASES_PER_DATASET} cases`).optional(),
});

export const updateDatasetInput = z.strictObject({
  name: datasetName.optional(),
  description: shortText("description", 2000).optional(),
});

/** An import: JSONL (one case object per line) or CSV (columns prompt, and optionally key, contains, matches, citations, rubric, reference, maxCostUsd, maxTokens, maxDurationMs; lists separated by "|"). */
export const importCasesInput = z.strictObject({
  format: z.enum(["jsonl", "csv"], { error: "format must be jsonl or csv" }),
  content: z
    .string({ error: "content is required and must be the file's text" })
    .min(1, "content must not be empty")
    .max(10 * 1024 * 1024, "content must be at most 10 MiB"),
  /** append: add to the cases; replace: the new version holds only the imported cases. */
  mode: z.enum(["append", "replace"], { error: "mode must be append or replace" }).default("append"),
});

export const caseFromTaskInput = z.strictObject({
  taskId: z.string({ error: "taskId is required" }).regex(/^[a-z0-9]{20,40}$/i, "taskId is not a task id"),
  /** Added to what is taken from the task (its result becomes `reference`). */
  expected: evalExpectations.optional(),
});

// ---- experiments -------------------------------------------------------------------------

export const scorerNames = ["contains", "regex", "json_schema", "citations", "cost", "tokens", "latency", "judge", "similarity"] as const;
export type ScorerName = (typeof scorerNames)[number];

/** The configuration an experiment runs every case under (`chorus eval run --config <file>` reads this). */
export const evalRunConfig = z.strictObject({
  /** Model routing for the experiment's tasks; each list given wins over the team's (server/llm/model-routing.ts). */
  models: modelRoutingSchema.optional(),
  /** Custom agents pinned to a version: { "<kind>": <version> }; unpinned kinds use the current version. */
  agentVersions: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, "must be an agent kind"), z.number().int().positive()).optional(),
  /** false: agents get no tools (knowledge search, fetch, web search, MCP). */
  tools: z.boolean({ error: "tools must be a boolean" }).default(true),
  /** The response cache: off by default, so an experiment measures the models, not the cache. */
  cache: z.boolean({ error: "cache must be a boolean" }).default(false),
  /** Weight per scorer (0 turns one off); unlisted scorers weigh 1 when their expectation is set. */
  scorers: z
    .partialRecord(z.enum(scorerNames, { error: `scorer must be one of ${scorerNames.join(", ")}` }), z.number().min(0).max(100))
    .optional(),
  passScore: z.number().min(0).max(1).default(DEFAULT_PASS_SCORE),
  concurrency: z.number().int().min(1).max(MAX_EXPERIMENT_CONCURRENCY).default(DEFAULT_EXPERIMENT_CONCURRENCY),
  /** The model the judge scorer asks (a routing chain); absent: the team's default. */
  judge: modelRoutingSchema.shape.default.optional(),
});
export type EvalRunConfig = z.infer<typeof evalRunConfig>;

export const startExperimentInput = z.strictObject({
  datasetId: z
    .string({ error: "datasetId is required" })
    .min(1, "datasetId must not be empty")
    .regex(/^[a-z0-9]{1,64}$/i, "datasetId is not a dataset id"),
  /** Absent: the dataset's latest version. */
  datasetVersion: z.number().int().positive().optional(),
  name: shortText("name", 200).min(1, "name must not be empty").optional(),
  config: evalRunConfig.default({ tools: true, cache: false, passScore: DEFAULT_PASS_SCORE, concurrency: DEFAULT_EXPERIMENT_CONCURRENCY }),
  /** The whole experiment's budget: never overshot (each case's task gets a share as its hard budget). */
  budgetUsd: z
    .number({ error: "budgetUsd must be a number of US dollars" })
    .positive("budgetUsd must be more than 0")
    .max(MAX_TASK_COST_USD)
    .optional(),
  /** An earlier experiment to compare with (the CLI's --baseline). */
  baselineId: z
    .string()
    .regex(/^[a-z0-9]{1,64}$/i, "baselineId is not an experiment id")
    .optional(),
});
export type StartExperimentInput = z.input<typeof startExperimentInput>;

/** What one scorer said of one case. */
export const scorerResult = z.object({
  scorer: z.enum(scorerNames),
  score: z.number().min(0).max(1),
  weight: z.number().min(0),
  explanation: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ScorerResult = z.infer<typeof scorerResult>;

// ---- answers (views) ---------------------------------------------------------------------
// What the API answers with; dates as ISO strings, money as numbers of US dollars.

export const evalCaseView = z.object({
  id: z.string(),
  key: z.string(),
  position: z.number().int(),
  prompt: z.string(),
  expected: evalExpectations,
  sourceTaskId: z.string().nullable(),
});
export type EvalCaseView = z.infer<typeof evalCaseView>;

export const experimentStatuses = ["queued", "running", "completed", "budget_exceeded", "failed", "cancelled"] as const;
export type ExperimentStatus = (typeof experimentStatuses)[number];
export const resultStatuses = ["pending", "running", "passed", "failed", "error", "skipped"] as const;
export type ResultStatus = (typeof resultStatuses)[number];

/** An experiment's numbers: live while it runs (from its results so far), final once it ends. */
export const experimentAggregate = z.object({
  total: z.number().int(),
  passed: z.number().int(),
  failed: z.number().int(),
  errored: z.number().int(),
  skipped: z.number().int(),
  pending: z.number().int(),
  running: z.number().int(),
  /** Passed over scored (passed + failed + errored); null until one is scored. */
  passRate: z.number().nullable(),
  /** Mean weighted score over scored cases (an errored case scores 0). */
  meanScore: z.number().nullable(),
  meanByScorer: z.partialRecord(z.enum(scorerNames), z.number()),
  costUsd: z.number(),
  meanCostUsd: z.number().nullable(),
  tokens: z.number().int(),
  p50DurationMs: z.number().nullable(),
  p95DurationMs: z.number().nullable(),
});
export type ExperimentAggregate = z.infer<typeof experimentAggregate>;

export const datasetSummaryView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  latestVersion: z.number().int(),
  caseCount: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastExperiment: z
    .object({
      id: z.string(),
      name: z.string(),
      status: z.enum(experimentStatuses),
      passRate: z.number().nullable(),
      createdAt: z.string(),
    })
    .nullable(),
});
export type DatasetSummaryView = z.infer<typeof datasetSummaryView>;

/** A dataset at one version (the latest unless asked), with that version's cases. */
export const datasetView = datasetSummaryView.extend({ version: z.number().int(), cases: z.array(evalCaseView) });
export type DatasetView = z.infer<typeof datasetView>;

export const datasetVersionView = z.object({
  version: z.number().int(),
  note: z.string(),
  caseCount: z.number().int(),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
});
export type DatasetVersionView = z.infer<typeof datasetVersionView>;

export const evalResultView = z.object({
  id: z.string(),
  caseId: z.string(),
  caseKey: z.string(),
  prompt: z.string(),
  status: z.enum(resultStatuses),
  taskId: z.string().nullable(),
  output: z.string().nullable(),
  scores: z.array(scorerResult),
  score: z.number().nullable(),
  passed: z.boolean().nullable(),
  costUsd: z.number(),
  tokens: z.number().int(),
  durationMs: z.number().int().nullable(),
  error: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type EvalResultView = z.infer<typeof evalResultView>;

export const experimentSummaryView = z.object({
  id: z.string(),
  name: z.string(),
  datasetId: z.string(),
  datasetName: z.string(),
  datasetVersion: z.number().int(),
  status: z.enum(experimentStatuses),
  caseCount: z.number().int(),
  passRate: z.number().nullable(),
  meanScore: z.number().nullable(),
  budgetUsd: z.number().nullable(),
  spentUsd: z.number(),
  baselineId: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type ExperimentSummaryView = z.infer<typeof experimentSummaryView>;

export const experimentView = experimentSummaryView.extend({
  config: evalRunConfig,
  error: z.string().nullable(),
  aggregate: experimentAggregate,
  results: z.array(evalResultView),
});
export type ExperimentView = z.infer<typeof experimentView>;

const comparedSide = z
  .object({
    resultId: z.string(),
    status: z.enum(resultStatuses),
    score: z.number().nullable(),
    passed: z.boolean().nullable(),
    output: z.string().nullable(),
    costUsd: z.number(),
    durationMs: z.number().int().nullable(),
    taskId: z.string().nullable(),
  })
  .nullable();

/** Two experiments side by side: `a` is the baseline, `b` the candidate; deltas are b − a. */
export const comparisonView = z.object({
  a: experimentSummaryView.extend({ aggregate: experimentAggregate }),
  b: experimentSummaryView.extend({ aggregate: experimentAggregate }),
  deltas: z.object({
    passRate: z.number().nullable(),
    meanScore: z.number().nullable(),
    meanByScorer: z.partialRecord(z.enum(scorerNames), z.number()),
    costUsd: z.number(),
    p50DurationMs: z.number().nullable(),
    p95DurationMs: z.number().nullable(),
  }),
  /** Matched by case key; regressions first (largest drop first), then improvements, unchanged, added, removed. */
  cases: z.array(
    z.object({
      caseKey: z.string(),
      prompt: z.string(),
      a: comparedSide,
      b: comparedSide,
      delta: z.number().nullable(),
      change: z.enum(["regressed", "improved", "unchanged", "added", "removed"]),
    }),
  ),
});
export type ComparisonView = z.infer<typeof comparisonView>;
