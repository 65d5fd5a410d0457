import { listMissing, type Scorer } from "./scorer";

/**
 * Patterns the result must match (JavaScript syntax, `i` flag; the case's input validation has
 * already rejected patterns that do not compile). JavaScript's engine backtracks, so a
 * catastrophic pattern's cost grows with the text it runs over: only the output's first
 * MAX_REGEX_INPUT characters are matched, which bounds it. The score is the fraction matched.
 */
export const MAX_REGEX_INPUT = 200_000;

export const scoreRegex: Scorer = async ({ expected, outcome }) => {
  const patterns = expected.matches;
  if (!patterns || patterns.length === 0) return null;
  const text = outcome.output.slice(0, MAX_REGEX_INPUT);
  const missing: string[] = [];
  const invalid: string[] = [];
  for (const pattern of patterns) {
    let regex: RegExp;
    try {
      regex = new RegExp(pattern, "i");
    } catch {
      invalid.push(pattern);
      missing.push(pattern);
      continue;
    }
    if (!regex.test(text)) missing.push(pattern);
  }
  const matched = patterns.length - missing.length;
  const truncated = outcome.output.length > MAX_REGEX_INPUT;
  return {
    scorer: "regex",
    score: matched / patterns.length,
    explanation:
      `${matched} of ${patterns.length} patterns matched${missing.length > 0 ? `; unmatched: ${listMissing(missing)}` : ""}` +
      (invalid.length > 0 ? ` (${invalid.length} not a valid regular expression)` : "") +
      (truncated ? ` (only the first ${MAX_REGEX_INPUT.toLocaleString("en-US")} characters were searched)` : ""),
    details: {
      matched,
      total: patterns.length,
      unmatched: missing,
      ...(invalid.length > 0 ? { invalid } : {}),
      ...(truncated ? { truncated } : {}),
    },
  };
};
