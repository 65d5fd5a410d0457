import type { ScorerName, StartExperimentInput } from "@/server/evals/eval-schemas";

/**
 * The run form's fields (as typed) → the `evalExperiments.start` input. Empty means "not set":
 * no model → the team's routing for that role, no pin → the agent's current version, no weight →
 * the scorer's default of 1. Numbers go to the server as typed, so a bad value comes back as a
 * 400 naming its field rather than being silently dropped here.
 */

/** One model per role: the form offers a single (provider, model); fallbacks stay the team's routing's business. */
export interface ModelChoice {
  providerId: string;
  model: string;
}

export interface ExperimentFormState {
  datasetId: string;
  name: string;
  /** "" = the dataset's latest version. */
  datasetVersion: string;
  /** Keys "default", "planner", "aggregator", "agents.<kind>"; a blank model = not set. */
  models: Record<string, ModelChoice>;
  /** Custom agent kind → a version number as text; "" = current. */
  agentVersions: Record<string, string>;
  tools: boolean;
  cache: boolean;
  concurrency: string;
  budgetUsd: string;
  passScore: string;
  /** Scorer → weight as text; "" = default (1 when its expectation is set). */
  scorerWeights: Partial<Record<ScorerName, string>>;
  baselineId: string;
}

const number = (text: string) => Number(text.trim());

export function startExperimentInputFrom(form: ExperimentFormState): StartExperimentInput {
  const chain = (key: string) => {
    const choice = form.models[key];
    return choice && choice.model.trim() ? [{ providerId: choice.providerId, model: choice.model.trim() }] : undefined;
  };
  const agents = Object.fromEntries(
    Object.keys(form.models)
      .filter((key) => key.startsWith("agents."))
      .flatMap((key) => {
        const links = chain(key);
        return links ? [[key.slice("agents.".length), links]] : [];
      }),
  );
  const models = {
    ...(chain("default") ? { default: chain("default") } : {}),
    ...(chain("planner") ? { planner: chain("planner") } : {}),
    ...(chain("aggregator") ? { aggregator: chain("aggregator") } : {}),
    ...(Object.keys(agents).length > 0 ? { agents } : {}),
  };
  const agentVersions = Object.fromEntries(
    Object.entries(form.agentVersions).flatMap(([kind, version]) => (version.trim() ? [[kind, number(version)]] : [])),
  );
  const scorers = Object.fromEntries(
    Object.entries(form.scorerWeights).flatMap(([scorer, weight]) => (weight?.trim() ? [[scorer, number(weight)]] : [])),
  );
  return {
    datasetId: form.datasetId,
    ...(form.datasetVersion.trim() ? { datasetVersion: number(form.datasetVersion) } : {}),
    ...(form.name.trim() ? { name: form.name.trim() } : {}),
    config: {
      ...(Object.keys(models).length > 0 ? { models } : {}),
      ...(Object.keys(agentVersions).length > 0 ? { agentVersions } : {}),
      tools: form.tools,
      cache: form.cache,
      ...(Object.keys(scorers).length > 0 ? { scorers } : {}),
      ...(form.passScore.trim() ? { passScore: number(form.passScore) } : {}),
      ...(form.concurrency.trim() ? { concurrency: number(form.concurrency) } : {}),
    },
    ...(form.budgetUsd.trim() ? { budgetUsd: number(form.budgetUsd) } : {}),
    ...(form.baselineId ? { baselineId: form.baselineId } : {}),
  };
}
