import { listMissing, type Scorer } from "./scorer";
import { normaliseText } from "./text-terms";

/**
 * Facts the result must contain: each is looked for as a case-insensitive substring, with
 * whitespace runs counted as one space on both sides (a fact split across a line break is still
 * found). The score is the fraction found.
 */
export const scoreContains: Scorer = async ({ expected, outcome }) => {
  const facts = expected.contains;
  if (!facts || facts.length === 0) return null;
  const output = normaliseText(outcome.output);
  const missing = facts.filter((fact) => !output.includes(normaliseText(fact)));
  const found = facts.length - missing.length;
  return {
    scorer: "contains",
    score: found / facts.length,
    explanation: `${found} of ${facts.length} facts found${missing.length > 0 ? `; missing: ${listMissing(missing)}` : ""}`,
    details: { found, total: facts.length, missing },
  };
};
