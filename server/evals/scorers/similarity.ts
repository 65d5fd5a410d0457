import { cosineSimilarity, embedMany } from "ai";
import { reportModelError } from "@/server/llm/model-errors";
import { getEmbeddingModel } from "@/server/llm/providers";
import { logger } from "@/server/observability/logger";
import { cutText } from "@/server/text/cut-text";
import type { Scorer, ScorerVerdict } from "./scorer";
import { termCounts, termsOf } from "./text-terms";

/**
 * How close the result is to the case's reference answer. With an embedding model configured
 * (CHORUS_EMBEDDING_MODEL, through the instance's OpenAI-compatible provider) the two texts are
 * embedded and their cosine similarity, mapped from [-1, 1] to [0, 1], is the score. Without one,
 * or when the embedding call fails, a lexical measure: the cosine of the two texts' term-frequency
 * vectors over lower-cased word stems (no IDF: a single pair has no corpus), in [0, 1] already.
 * The explanation says which measure was used.
 */
/** Texts are cut to this before embedding: embedding models take a few thousand tokens at most. */
const MAX_EMBEDDED_CHARACTERS = 24_000;

export const scoreSimilarity: Scorer = async ({ expected, outcome, signal, teamId }) => {
  const reference = expected.reference;
  if (!reference) return null;
  const model = getEmbeddingModel();
  if (!model) return lexicalSimilarity(reference, outcome.output, "no embedding model configured");
  if (!outcome.output.trim()) return lexicalSimilarity(reference, outcome.output, "the output is empty");
  try {
    const { embeddings } = await embedMany({
      model,
      values: [cutText(reference, MAX_EMBEDDED_CHARACTERS), cutText(outcome.output, MAX_EMBEDDED_CHARACTERS)],
      abortSignal: signal,
      maxRetries: 1,
    });
    const cosine = cosineSimilarity(embeddings[0]!, embeddings[1]!);
    const score = clamp((cosine + 1) / 2);
    return {
      scorer: "similarity",
      score,
      explanation: `embedding similarity to the reference: cosine ${cosine.toFixed(3)} (${model.modelId}), mapped to ${score.toFixed(3)}`,
      details: { measure: "embedding", model: model.modelId, cosine },
    };
  } catch (error) {
    const reported = reportModelError(error, { teamId, scorer: "similarity" });
    if (!reported) logger.warn("the evals similarity embedding failed", { teamId, error });
    const lexical = lexicalSimilarity(
      reference,
      outcome.output,
      `the embedding model failed: ${reported?.message ?? "it could not be called"}`,
    );
    return { ...lexical, details: { ...lexical.details, embeddingError: true } };
  }
};

export function lexicalSimilarity(reference: string, output: string, why: string): ScorerVerdict {
  const a = termCounts(termsOf(reference));
  const b = termCounts(termsOf(output));
  let dot = 0;
  for (const [term, count] of a) dot += count * (b.get(term) ?? 0);
  const norm = (counts: Map<string, number>) => Math.sqrt([...counts.values()].reduce((sum, count) => sum + count * count, 0));
  const denominator = norm(a) * norm(b);
  // Rounded: identical texts must score exactly 1, not 0.9999999999999998, against a pass score of 1.
  const score = denominator === 0 ? 0 : clamp(Math.round((dot / denominator) * 1e6) / 1e6);
  const shared = [...a.keys()].filter((term) => b.has(term)).length;
  return {
    scorer: "similarity",
    score,
    explanation: `lexical similarity to the reference (cosine of word-stem frequencies; ${why}): ${score.toFixed(3)}; ${shared} of ${a.size} reference terms appear in the output`,
    details: { measure: "lexical", sharedTerms: shared, referenceTerms: a.size, outputTerms: b.size },
  };
}

function clamp(value: number): number {
  return Math.min(1, Math.max(0, value));
}
