/**
 * The one rule the cost, token and latency scorers share: 1 within the limit, then a straight
 * line down to 0 at twice the limit — a case a little over is not scored as badly as one far over.
 */
export function scoreAgainstLimit(actual: number, limit: number): number {
  if (actual <= limit) return 1;
  return Math.max(0, Math.min(1, 2 - actual / limit));
}

export function describeAgainstLimit(what: string, actual: string, limit: string, score: number): string {
  if (score === 1) return `${what} ${actual} is within the limit of ${limit}`;
  return `${what} ${actual} is over the limit of ${limit}: the score falls linearly from 1 at the limit to 0 at twice it`;
}
