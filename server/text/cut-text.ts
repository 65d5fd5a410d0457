/**
 * Shortening text without breaking a character. JavaScript strings count UTF-16 units, and an
 * emoji or any other character outside the Basic Multilingual Plane takes two (a surrogate pair):
 * `text.slice(0, n)` can keep the first half of one, leaving a lone surrogate that Postgres
 * refuses in jsonb and that is not valid UTF-8. Lengths stay in UTF-16 units — the unit every
 * limit here is written in — but a cut never splits a pair.
 */
export function cutText(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  let end = Math.max(0, maxLength);
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(0, end);
}

/** `cutText` with an ellipsis when it cut, the whole within `maxLength`. */
export function cutTextWithEllipsis(text: string, maxLength: number): string {
  return text.length <= maxLength ? text : `${cutText(text, maxLength - 1)}…`;
}

/** True when the text holds a lone surrogate: not a character, and not storable as UTF-8 or in jsonb. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

// (String.prototype.isWellFormed says the same, but TypeScript's lib for Node 20 lacks it.)
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
