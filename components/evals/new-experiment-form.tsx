"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type ReactNode } from "react";
import { useTRPC } from "@/components/providers";
import { Button } from "@/components/ui/button";
import { ErrorNote, settingsInputClass } from "@/components/ui/error-note";
import { formatUtcTime } from "@/components/ui/format";
import {
  DEFAULT_EXPERIMENT_CONCURRENCY,
  DEFAULT_PASS_SCORE,
  MAX_EXPERIMENT_CONCURRENCY,
  scorerNames,
  type ExperimentSummaryView,
  type ScorerName,
} from "@/server/evals/eval-schemas";
import { startExperimentInputFrom, type ExperimentFormState } from "./experiment-form-input";
import { formatPassRate } from "./eval-format";

/**
 * The run form (app/(dashboard)/evals/experiments/new): which version of the dataset, under
 * which configuration — models per role (blank: the team's routing), custom-agent versions
 * pinned, tools, cache, concurrency, a total budget, the pass score and scorer weights — and
 * an optional baseline. Submitting starts the experiment and opens its page; a configuration the
 * server refuses comes back naming the field.
 */

export interface RunFormChoices {
  dataset: { id: string; name: string; latestVersion: number };
  /** The team's model providers; "env" (the instance's provider) is always offered too. */
  providers: ReadonlyArray<{ id: string; name: string }>;
  /** Built-in and custom agent kinds, as Settings → Models lists them. */
  agentKinds: readonly string[];
  /** The team's custom agents and their current version (versions run 1…current). */
  customAgents: ReadonlyArray<{ kind: string; name: string; version: number }>;
  /** The dataset's earlier experiments, newest first: baseline candidates. */
  baselines: readonly ExperimentSummaryView[];
}

const scorerHelp: Record<ScorerName, string> = {
  contains: "facts the result must contain",
  regex: "patterns the result must match",
  json_schema: "the result's JSON against a schema",
  citations: "sources the result must cite",
  cost: "the case's cost limit",
  tokens: "the case's token limit",
  latency: "the case's time limit",
  judge: "a model scores the result against the rubric",
  similarity: "closeness to the reference answer",
};

export function NewExperimentForm({ choices }: { choices: RunFormChoices }) {
  const trpc = useTRPC();
  const router = useRouter();
  const { dataset } = choices;
  const roles = [
    { key: "default", label: "Default (every role without its own)" },
    { key: "planner", label: "Planner" },
    { key: "aggregator", label: "Aggregator (final synthesis)" },
    ...choices.agentKinds.map((kind) => ({ key: `agents.${kind}`, label: `Agent: ${kind}` })),
  ];
  const [form, setForm] = useState<ExperimentFormState>({
    datasetId: dataset.id,
    name: "",
    datasetVersion: "",
    models: {},
    agentVersions: {},
    tools: true,
    cache: false,
    concurrency: String(DEFAULT_EXPERIMENT_CONCURRENCY),
    budgetUsd: "",
    passScore: String(DEFAULT_PASS_SCORE),
    scorerWeights: {},
    baselineId: "",
  });
  const set = <Key extends keyof ExperimentFormState>(key: Key, value: ExperimentFormState[Key]) =>
    setForm((current) => ({ ...current, [key]: value }));
  const start = useMutation(
    trpc.evalExperiments.start.mutationOptions({ onSuccess: (experiment) => router.push(`/evals/experiments/${experiment.id}`) }),
  );
  const providerChoices = [{ id: "env", name: "Instance provider" }, ...choices.providers];

  return (
    <form
      className="space-y-6"
      aria-label={`Run an experiment on ${dataset.name}`}
      onSubmit={(event) => {
        event.preventDefault();
        start.mutate(startExperimentInputFrom(form));
      }}
    >
      <Card title="What to run">
        <div className="grid gap-3 md:grid-cols-2">
          <label className="block text-sm font-medium text-slate-800">
            Name (optional)
            <input
              className={settingsInputClass}
              value={form.name}
              maxLength={200}
              placeholder={`${dataset.name} · ${new Date().toISOString().slice(0, 10)}`}
              onChange={(event) => set("name", event.target.value)}
            />
          </label>
          <label className="block text-sm font-medium text-slate-800">
            Dataset version
            <select
              className={settingsInputClass}
              value={form.datasetVersion}
              onChange={(event) => set("datasetVersion", event.target.value)}
            >
              <option value="">Latest (v{dataset.latestVersion})</option>
              {Array.from({ length: dataset.latestVersion }, (_, index) => dataset.latestVersion - index).map((version) => (
                <option key={version} value={String(version)}>
                  v{version}
                </option>
              ))}
            </select>
          </label>
          <label className="block min-w-0 text-sm font-medium text-slate-800">
            Baseline to compare with (optional)
            <select className={settingsInputClass} value={form.baselineId} onChange={(event) => set("baselineId", event.target.value)}>
              <option value="">None</option>
              {choices.baselines.map((baseline) => (
                <option key={baseline.id} value={baseline.id}>
                  {baseline.name} ({formatPassRate(baseline.passRate)} passed, {formatUtcTime(baseline.createdAt)})
                </option>
              ))}
            </select>
          </label>
        </div>
      </Card>

      <Card
        title="Models"
        note="Leave a role blank to use the team's routing (Settings → Models). A model named here wins over the team's for this experiment's tasks only."
      >
        <div className="space-y-2">
          {roles.map((role) => {
            const choice = form.models[role.key] ?? { providerId: choices.providers[0]?.id ?? "env", model: "" };
            const change = (next: Partial<typeof choice>) => set("models", { ...form.models, [role.key]: { ...choice, ...next } });
            return (
              <div key={role.key} role="group" aria-label={role.label} className="flex flex-wrap items-end gap-2">
                <p className="w-full text-sm font-medium text-slate-800 sm:w-56">{role.label}</p>
                <label className="text-sm">
                  <span className="sr-only">{`${role.label}: provider`}</span>
                  <select
                    className={settingsInputClass}
                    value={choice.providerId}
                    onChange={(event) => change({ providerId: event.target.value })}
                  >
                    {providerChoices.map((provider) => (
                      <option key={provider.id} value={provider.id}>
                        {provider.name}
                      </option>
                    ))}
                  </select>
                </label>
                <label className="min-w-0 flex-1 text-sm">
                  <span className="sr-only">{`${role.label}: model id`}</span>
                  <input
                    className={settingsInputClass}
                    value={choice.model}
                    placeholder="the team's routing"
                    onChange={(event) => change({ model: event.target.value })}
                  />
                </label>
              </div>
            );
          })}
        </div>
      </Card>

      {choices.customAgents.length > 0 ? (
        <Card title="Custom agent versions" note="Pin an agent to an earlier version to measure a change to its instructions or tools.">
          <div className="grid gap-3 md:grid-cols-2">
            {choices.customAgents.map((agent) => (
              <label key={agent.kind} className="block text-sm font-medium text-slate-800">
                {agent.name} <span className="font-normal text-slate-600">({agent.kind})</span>
                <select
                  className={settingsInputClass}
                  value={form.agentVersions[agent.kind] ?? ""}
                  onChange={(event) => set("agentVersions", { ...form.agentVersions, [agent.kind]: event.target.value })}
                >
                  <option value="">Current (v{agent.version})</option>
                  {Array.from({ length: agent.version }, (_, index) => agent.version - index).map((version) => (
                    <option key={version} value={String(version)}>
                      v{version}
                    </option>
                  ))}
                </select>
              </label>
            ))}
          </div>
        </Card>
      ) : null}

      <Card title="How it runs">
        <div className="space-y-3">
          <label className="flex items-start gap-2 text-sm text-slate-800">
            <input
              type="checkbox"
              className="mt-0.5 h-4 w-4 rounded border-slate-300"
              checked={form.tools}
              onChange={(event) => set("tools", event.target.checked)}
            />
            <span>
              Agents may use tools{" "}
              <span className="text-slate-600">(knowledge search, fetch, web search, MCP; off: agents answer from the model alone)</span>
            </span>
          </label>
          <label className="flex items-start gap-2 text-sm text-slate-800">
            <input
              type="checkbox"
              className="mt-0.5 h-4 w-4 rounded border-slate-300"
              checked={form.cache}
              onChange={(event) => set("cache", event.target.checked)}
              aria-describedby="cache-help"
            />
            <span>
              Use the response cache
              <span id="cache-help" className="block text-slate-600">
                Off by default: a cached answer repeats an earlier run, so the experiment would measure the cache rather than the models.
              </span>
            </span>
          </label>
          <div className="grid gap-3 md:grid-cols-3">
            <label className="block text-sm font-medium text-slate-800">
              Cases at a time
              <input
                className={settingsInputClass}
                type="number"
                inputMode="numeric"
                min={1}
                max={MAX_EXPERIMENT_CONCURRENCY}
                step={1}
                value={form.concurrency}
                onChange={(event) => set("concurrency", event.target.value)}
              />
            </label>
            <label className="block text-sm font-medium text-slate-800">
              Total budget, US$ (optional)
              <input
                className={settingsInputClass}
                type="number"
                inputMode="decimal"
                min={0}
                step="any"
                value={form.budgetUsd}
                placeholder="no limit"
                aria-describedby="budget-help"
                onChange={(event) => set("budgetUsd", event.target.value)}
              />
              <span id="budget-help" className="mt-1 block text-xs font-normal text-slate-600">
                Never overshot: cases not started when it runs out are skipped.
              </span>
            </label>
            <label className="block text-sm font-medium text-slate-800">
              Pass score (0–1)
              <input
                className={settingsInputClass}
                type="number"
                inputMode="decimal"
                min={0}
                max={1}
                step="any"
                value={form.passScore}
                onChange={(event) => set("passScore", event.target.value)}
              />
            </label>
          </div>
        </div>
      </Card>

      <Card
        title="Scorer weights"
        note="A case's score is the weighted mean of the scorers whose expectation it sets. Blank: weight 1. 0 turns a scorer off."
      >
        <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
          {scorerNames.map((scorer) => (
            <label key={scorer} className="block text-sm font-medium text-slate-800">
              {scorer.replaceAll("_", " ")} <span className="font-normal text-slate-600">— {scorerHelp[scorer]}</span>
              <input
                className={settingsInputClass}
                type="number"
                inputMode="decimal"
                min={0}
                max={100}
                step="any"
                placeholder="1"
                value={form.scorerWeights[scorer] ?? ""}
                onChange={(event) => set("scorerWeights", { ...form.scorerWeights, [scorer]: event.target.value })}
              />
            </label>
          ))}
        </div>
      </Card>

      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" disabled={start.isPending}>
          {start.isPending ? "Starting…" : "Run experiment"}
        </Button>
        <ErrorNote error={start.error} />
      </div>
    </form>
  );
}

function Card({ title, note, children }: { title: string; note?: string; children: ReactNode }) {
  return (
    <fieldset className="min-w-0 space-y-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
      <legend className="px-1 text-sm font-semibold text-slate-800">{title}</legend>
      {note ? <p className="text-sm text-slate-600">{note}</p> : null}
      {children}
    </fieldset>
  );
}
