/**
 * Pure, deterministic reading of a task prompt: its topic words, its subject phrase and the
 * subjects it compares. The offline model writes about these, and the default plan fans
 * research out per compared subject, so both read a prompt the same way.
 */
import { cutTextWithEllipsis } from "@/server/text/cut-text";

const STOP_WORDS = new Set(
  `a an the and or but nor so yet of to in on at by for from with without into onto over under about above below
  between among through during before after since until than then as is are was were be been being am do does did
  done doing have has had having can could should would will shall may might must not no yes this that these those
  it its it's they them their theirs we us our ours you your yours he she his her i me my mine who whom whose which
  what when where why how all any each every some such more most less least many much few other another same own
  very just also too only even still really quite rather please thanks thank etc e.g i.e via per vs versus
  write create make give provide produce prepare draft list explain describe summarize summarise compare analyze
  analyse research find identify evaluate assess outline investigate review discuss detail tell show help need want
  brief report summary overview document memo analysis note notes plan step task subtask agent output markdown
  section short long detailed comprehensive key main important including include based using use used like get
  one two three four five new good best top well way ways thing things something anything lot lots see read details
  there here out up down off again further once both either neither whether while because if unless though
  enter entering planning consider considering decide deciding looking trying going move moving start starting
  understand improve increase reduce choose choosing deploy deploying adopt adopting run running take taking know think`.split(/\s+/),
);

/** Words that open a request but say nothing about its subject. */
const LEADING_FILLER =
  /^(?:(?:please|kindly|can you|could you|would you|i need|i want|we need|help me|what|how|why|which|who|when|should|could|would|can|do|does|is|are|write|create|make|give|provide|produce|prepare|draft|list|explain|describe|summari[sz]e|research|analy[sz]e|investigate|outline|find|identify|evaluate|assess|review|me|us|a|an|the|some|short|brief|detailed|comprehensive|quick)\s+)+/i;

const CLAUSE_END =
  /[.?!;:\n]|\s[-–—]\s|\s(?:that|which|who|so that|in order to|to help|to decide|in terms of|with respect to|with a focus on|focusing on)\s/i;
const URL_PATTERN = /\bhttps?:\/\/\S+/g;
const WORD = /[\p{L}\p{N}][\p{L}\p{N}+#'.-]*/gu;

export interface Keyword {
  /** Lower-cased form, used for matching. */
  key: string;
  /** As first written in the prompt, used for display ("PostgreSQL", "Europe"). */
  display: string;
  count: number;
}

/** The prompt's content words, most frequent first (ties keep prompt order). */
export function extractKeywords(text: string, limit = 8): Keyword[] {
  const found = new Map<string, Keyword & { position: number }>();
  let position = 0;
  for (const match of text.replace(URL_PATTERN, " ").matchAll(WORD)) {
    const display = match[0].replace(/[.'-]+$/, "");
    const key = display.toLowerCase();
    position += 1;
    if (!isContentWord(display, key)) continue;
    const existing = found.get(key);
    if (existing) existing.count += 1;
    else found.set(key, { key, display, count: 1, position });
  }
  return [...found.values()]
    .sort((a, b) => b.count - a.count || a.position - b.position)
    .slice(0, limit)
    .map(({ key, display, count }) => ({ key, display, count }));
}

function isContentWord(display: string, key: string): boolean {
  if (STOP_WORDS.has(key) || /^\d+([.,]\d+)?%?$/.test(key)) return false;
  // Short words only count when they look like acronyms or model names ("AI", "EV", "5G").
  return key.length <= 40 && (key.length >= 3 || /[A-Z]{2}|\d/.test(display));
}

/**
 * The subjects a prompt compares ("Compare PostgreSQL and MySQL for analytics",
 * "Rust vs Go", "the differences between X and Y"). Empty unless there are 2–4 of them.
 */
export function extractSubjects(text: string): string[] {
  const sentence = firstSentence(text);
  const candidates: string[] = [];
  const compare = /\bcompar(?:e|ing|ison of|ison between)\s+(.+)/i.exec(sentence);
  const between = /\b(?:differences?|choose|choosing|decide|deciding|trade-?offs?)\s+between\s+(.+)/i.exec(sentence);
  const versus = /(.+?)\s+(?:vs\.?|versus)\s+(.+)/i.exec(sentence);
  if (compare?.[1] ?? between?.[1]) {
    const list = cutAtClauseEnd((compare?.[1] ?? between?.[1]) as string);
    // "three CRM products (HubSpot, Pipedrive, Salesforce)": the parentheses name the subjects.
    const enumerated = parentheticalList(list);
    candidates.push(...(enumerated ?? splitSubjectList(list)));
  } else if (versus?.[1] && versus[2]) {
    const left = lastWords(versus[1].replace(LEADING_FILLER, ""), 4);
    candidates.push(left, ...splitSubjectList(cutAtClauseEnd(versus[2])));
  }
  const subjects = dedupeCaseInsensitive(
    candidates
      .map(cleanPhrase)
      .filter((s) => s.length > 0)
      .map((s) => firstWords(s, 5)),
  );
  return subjects.length >= 2 && subjects.length <= 4 ? subjects : [];
}

/** A short phrase naming what the prompt is about, e.g. "electric bikes in Europe". */
export function describeSubject(text: string): string {
  const subjects = extractSubjects(text);
  if (subjects.length >= 2) return joinAsList(subjects);
  const sentence = firstSentence(text);
  // Prepositions in priority order: "a brief for the board about X" is about X.
  for (const pattern of [/\b(?:about|regarding|concerning|covering)\s+(.+)/i, /\b(?:on|into)\s+(.+)/i, /\b(?:of|for)\s+(.+)/i]) {
    const match = pattern.exec(sentence);
    // "electric bikes in Europe | for a retailer…": the audience is not the subject.
    const phrase = match?.[1] ? firstWords(cleanPhrase(cutAtClauseEnd(match[1]).split(/\s(?:for|so|because)\s/i)[0] ?? ""), 7) : "";
    if (phrase.split(/\s+/).some((word) => isContentWord(word, word.toLowerCase()))) return phrase;
  }
  const stripped = firstWords(cleanPhrase(cutAtClauseEnd(sentence)), 8);
  if (stripped) return stripped;
  const keywords = extractKeywords(text, 3).map((keyword) => keyword.display);
  return keywords.length > 0 ? keywords.join(" ") : "the topic";
}

/** A URL- and id-safe slug: lower-case letters, digits and single dashes. */
export function slugify(text: string, maxLength = 40): string {
  const slug = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return slug.slice(0, maxLength).replace(/-+$/, "");
}

/** "a", "a and b", "a, b and c". */
export function joinAsList(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function firstSentence(text: string): string {
  const line =
    text
      .replace(URL_PATTERN, " ")
      .trim()
      .split(/\n+/)
      .find((candidate) => /[\p{L}\p{N}]/u.test(candidate)) ?? "";
  const match = /^(.+?[.?!])(?:\s|$)/.exec(line);
  return (match?.[1] ?? line).trim();
}

function cutAtClauseEnd(text: string): string {
  const end = CLAUSE_END.exec(text);
  return (end ? text.slice(0, end.index) : text).trim();
}

function splitSubjectList(text: string): string[] {
  // Separators inside parentheses belong to a subject ("PostgreSQL (with Citus) and MySQL"), so
  // every search runs on a copy whose parenthesised text is masked, with the same offsets.
  const masked = maskParenthesised(text);
  // The list ends where its qualifier starts: "X and Y | for analytics workloads".
  const end = /\s(?:for|in|on|across|when|regarding|as|from|by|at|over|under|within)\s/i.exec(masked);
  const length = end ? end.index : text.length;
  // "X, Y and Z" / "X with Y" / "X against Y" / "X to Y".
  const separator = /\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|vs\.?|versus|with|against|to)\s+/gi;
  const items: string[] = [];
  let start = 0;
  for (const match of masked.slice(0, length).matchAll(separator)) {
    items.push(text.slice(start, match.index));
    start = match.index + match[0].length;
  }
  items.push(text.slice(start, length));
  return items;
}

/** The 2–4 items of the first parenthesised list in `text` ("products (A, B and C)"), if it has one. */
function parentheticalList(text: string): string[] | undefined {
  const inside = /\(([^()]+)\)/.exec(text)?.[1];
  if (!inside) return undefined;
  const items = splitSubjectList(inside.replace(/^\s*(?:e\.g\.|i\.e\.|such as|like|namely)\s*,?\s*/i, ""))
    .map((item) => item.trim())
    .filter(Boolean);
  return items.length >= 2 && items.length <= 4 ? items : undefined;
}

/** `text` with every character inside balanced parentheses replaced, keeping offsets. */
function maskParenthesised(text: string): string {
  let depth = 0;
  let masked = "";
  for (const char of text) {
    if (char === "(") depth += 1;
    masked += depth > 0 ? (char.length === 1 ? "_" : "__") : char;
    if (char === ")" && depth > 0) depth -= 1;
  }
  return masked;
}

/**
 * `text` with its parentheses balanced: an unclosed "(" is cut off together with what follows
 * it (a phrase cut short mid-aside), and a stray ")" is dropped.
 */
export function balanceParentheses(text: string): string {
  let depth = 0;
  let result = "";
  let openAt = -1;
  for (const char of text) {
    if (char === ")") {
      if (depth === 0) continue;
      depth -= 1;
    } else if (char === "(") {
      if (depth === 0) openAt = result.length;
      depth += 1;
    }
    result += char;
  }
  return (depth > 0 ? result.slice(0, openAt) : result).replace(/[\s,;:]+$/, "").trim();
}

function cleanPhrase(text: string): string {
  return balanceParentheses(
    text
      .replace(LEADING_FILLER, "")
      .replace(/^["'“‘]+|["'”’,]+$/g, "")
      .replace(/\s+/g, " ")
      .trim(),
  );
}

/** The first words of a phrase, and never more than 120 characters (a prompt can be one huge "word"). */
function firstWords(text: string, count: number): string {
  const words = text
    .split(/\s+/)
    .slice(0, count)
    .join(" ")
    .replace(/[,;:]+$/, "");
  return balanceParentheses(cutTextWithEllipsis(words, 120));
}

function lastWords(text: string, count: number): string {
  return text.trim().split(/\s+/).slice(-count).join(" ");
}

function dedupeCaseInsensitive(items: string[]): string[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = item.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
