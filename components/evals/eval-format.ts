import { cutTextWithEllipsis } from "@/server/text/cut-text";

/**
 * How evals' numbers read everywhere in the dashboard: a score (0–1) with two decimals, a pass
 * rate as a percentage, and a change between two experiments with its direction spelled out
 * (▲/▼ text, not colour alone) and whether it is better or worse for the team.
 */

export function formatScore(score: number | null | undefined): string {
  return score === null || score === undefined ? "—" : score.toFixed(2);
}

export function formatPassRate(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? "—" : `${Math.round(rate * 1000) / 10}%`;
}

export type DeltaTone = "better" | "worse" | "same";

export interface FormattedDelta {
  /** e.g. "▲ +0.12", "▼ −5.0 pts", "no change" */
  text: string;
  tone: DeltaTone;
}

/**
 * A change b − a. `higherIsBetter` says which way is good: scores and pass rates up, cost and
 * time down. A change smaller than `epsilon` is "no change", so rounding noise isn't a regression.
 */
export function formatDelta(
  delta: number | null | undefined,
  { kind, higherIsBetter = true, epsilon = 1e-9 }: { kind: "score" | "rate" | "cost" | "ms"; higherIsBetter?: boolean; epsilon?: number },
): FormattedDelta {
  if (delta === null || delta === undefined) return { text: "—", tone: "same" };
  if (Math.abs(delta) < epsilon) return { text: "no change", tone: "same" };
  const up = delta > 0;
  const magnitude = Math.abs(delta);
  const amount =
    kind === "score"
      ? magnitude.toFixed(2)
      : kind === "rate"
        ? `${Math.round(magnitude * 1000) / 10} pts`
        : kind === "cost"
          ? magnitude < 0.01
            ? `$${magnitude.toFixed(4)}`
            : `$${magnitude.toFixed(2)}`
          : magnitude < 1000
            ? `${Math.round(magnitude)} ms`
            : `${(magnitude / 1000).toFixed(1)} s`;
  return { text: `${up ? "▲ +" : "▼ −"}${amount}`, tone: up === higherIsBetter ? "better" : "worse" };
}

/** The text colour of a delta's tone (its ▲/▼ text carries the meaning; colour only repeats it). */
export const deltaToneClass: Record<DeltaTone, string> = {
  better: "text-green-700",
  worse: "text-red-700",
  same: "text-slate-600",
};

/** A prompt cut to one line for a table cell; the full text is in the expanded row. */
export function promptExcerpt(prompt: string, max = 80): string {
  return cutTextWithEllipsis(prompt.replace(/\s+/g, " ").trim(), max);
}
