import { capitalize, describeSubject, extractKeywords, extractSubjects } from "@/server/llm/topics";
import { seededRandom, type SeededRandom } from "@/server/llm/seeded-random";

/**
 * What the offline model writes for each role. Output is built from the prompt alone —
 * its subject, topic words, the step's instruction and upstream outputs — and chosen with a
 * seeded random, so different tasks read differently and the same prompt always reads the same.
 */

export type OfflineRole = "research" | "analysis" | "synthesis" | "aggregator" | "custom";

export interface OfflineWritingInput {
  role: OfflineRole;
  /** The agent's display name, for custom agents ("Legal reviewer"). */
  agentName: string;
  task: string;
  instruction: string;
  upstream: Array<{ stepId: string; agentKind: string; text: string }>;
  /** Passages the agent's tools returned (knowledge-base hits, pages): cited by title. */
  findings?: OfflineFinding[];
}

export interface OfflineFinding {
  title: string;
  passage: string;
}

const FALLBACK_TOPIC_WORDS = ["cost", "adoption", "quality", "regulation", "competition", "risk"];

export const OFFLINE_NOTICE_WITH_TOOLS =
  "_Written by Chorus's offline model (`chorus-offline`): the quoted passages come from your team's documents; the rest is written from the task text, not from live sources. Set `OPENAI_API_KEY`, `ANTHROPIC_API_KEY` or `OPENAI_BASE_URL` for real model output._";

export const OFFLINE_NOTICE =
  "_Written by Chorus's offline model (`chorus-offline`) from the task text alone, not from live sources. Set `OPENAI_API_KEY`, `ANTHROPIC_API_KEY` or `OPENAI_BASE_URL` for real model output._";

export const OFFLINE_NOTICE_FROM_STEPS =
  "_Written by Chorus's offline model (`chorus-offline`) from the task text and the earlier steps' work, whose quoted passages come from your team's documents; nothing here is from live sources. Set `OPENAI_API_KEY`, `ANTHROPIC_API_KEY` or `OPENAI_BASE_URL` for real model output._";

/**
 * The notice a text ends with says what it was written from: the agent's own tool findings, the
 * earlier steps' (when they quoted the team's documents, their notice says so), or the task alone.
 */
function noticeFor(input: OfflineWritingInput): string {
  if (input.findings?.length) return OFFLINE_NOTICE_WITH_TOOLS;
  const quotedDocuments = input.upstream.some(
    (output) => output.text.includes(OFFLINE_NOTICE_WITH_TOOLS) || output.text.includes(OFFLINE_NOTICE_FROM_STEPS),
  );
  return quotedDocuments ? OFFLINE_NOTICE_FROM_STEPS : OFFLINE_NOTICE;
}

interface Material {
  subject: string;
  subjects: string[];
  word: (index: number) => string;
  evidence: Array<{ stepId: string; line: string }>;
  random: SeededRandom;
}

export function writeOfflineText(input: OfflineWritingInput): string {
  const material = gatherMaterial(input);
  switch (input.role) {
    case "research":
      return writeResearch(input, material);
    case "analysis":
      return writeAnalysis(material);
    case "synthesis":
      return writeSynthesis(input, material);
    case "aggregator":
      return writeAggregation(input, material);
    case "custom":
      return writeCustom(input, material);
  }
}

function gatherMaterial(input: OfflineWritingInput): Material {
  // Research and analysis steps can have their own subject ("Research MySQL…"); the final
  // write-up is about the whole task.
  const ownSubject = input.role === "research" || input.role === "analysis" || input.role === "custom";
  const focus = (ownSubject && input.instruction) || input.task;
  const subjects = extractSubjects(focus).length > 0 ? extractSubjects(focus) : extractSubjects(input.task);
  const subject = describeSubject(focus);
  // Compared subjects are what the text is about, not themes of it: "interest in PostgreSQL
  // is driven by MySQL" reads wrong, so their words are kept out of the topic words.
  const comparedWords = new Set([...subjects, ...extractSubjects(input.task)].join(" ").toLowerCase().split(/\s+/));
  const subjectWords = new Set(subject.toLowerCase().split(/\s+/));
  // Topic words come from the user's own task (step instructions are mostly planner
  // wording); words of the subject itself go last so sentences don't repeat the subject.
  const keywords = extractKeywords(input.task, 12)
    .map((keyword) => keyword.display)
    .filter((word) => !comparedWords.has(word.toLowerCase()));
  const words = keywords.filter((word) => !subjectWords.has(word.toLowerCase()));
  for (const fallback of FALLBACK_TOPIC_WORDS) if (words.length < 6 && !words.includes(fallback)) words.push(fallback);
  words.push(...keywords.filter((word) => subjectWords.has(word.toLowerCase())));
  const seed = [input.role, input.agentName, input.task, input.instruction, ...input.upstream.map((u) => u.text)].join("\u0000");
  return {
    subject,
    subjects,
    word: (index) => words[index % words.length] as string,
    evidence: interleaveEvidence(input.upstream),
    random: seededRandom(seed),
  };
}

/**
 * Statements (not questions) from upstream outputs, taken round-robin across steps so
 * evidence cites every step, with analysis findings first: they are the distilled ones.
 */
function interleaveEvidence(upstream: OfflineWritingInput["upstream"]): Material["evidence"] {
  const ordered = [
    ...upstream.filter((output) => output.agentKind === "analysis"),
    ...upstream.filter((output) => output.agentKind !== "analysis"),
  ];
  const lists = ordered.map((output) =>
    bulletLines(output.text)
      .filter((line) => !line.endsWith("?"))
      .map((line) => ({ stepId: output.stepId, line })),
  );
  const evidence: Material["evidence"] = [];
  for (let index = 0; lists.some((list) => index < list.length); index += 1) {
    for (const list of lists) if (list[index]) evidence.push(list[index] as Material["evidence"][number]);
  }
  return evidence;
}

function writeResearch(input: OfflineWritingInput, { subject, word, random }: Material): string {
  const facts = [
    `Interest in ${subject} is driven mainly by ${word(1)} and ${word(2)}; most commentary treats these as the primary forces.`,
    `The field around ${word(0)} is segmented: the most common split is by ${word(2)} and by type of user or buyer.`,
    `Costs tied to ${word(1)} vary widely between providers and regions, so comparisons need to normalise for ${word(3)}.`,
    `Rules and standards affecting ${word(2)} differ by jurisdiction and can change the picture faster than technology does.`,
    `Recent activity around ${word(0)} centres on ${word(3)}: established players and newcomers are both investing.`,
    `Commonly cited barriers for ${subject}: upfront cost, limited awareness, and fit with existing ${word(4)} practices.`,
    `Public data on ${word(3)} is fragmented and often published by interested parties; figures should be cross-checked.`,
    `In the mature parts of ${word(1)}, attention shifts from availability to reliability, support and total cost of ownership.`,
    `Experts disagree most about the pace of change in ${word(4)}, less about its direction.`,
  ];
  const actors = [
    `**Providers and vendors** — shape what is available for ${word(0)} and at what price.`,
    `**Buyers and end users** — decide adoption; their priorities around ${word(1)} set demand.`,
    `**Regulators and standards bodies** — define the constraints on ${word(2)}.`,
    `**Investors** — fund the next wave of ${word(3)} and signal where growth is expected.`,
    `**Researchers and analysts** — publish most of the independent evidence on ${subject}.`,
    `**Partners and integrators** — determine how easily ${word(0)} fits into existing ${word(4)} setups.`,
  ];
  const questions = [
    `How large is the addressable opportunity for ${subject}, measured consistently?`,
    `Which constraint binds first as ${word(0)} grows: ${word(1)}, ${word(2)} or ${word(3)}?`,
    `How reliable are the most-quoted figures on ${word(3)}, and who produced them?`,
    `What would change the outlook within the next two years?`,
    `Where do users' stated priorities on ${word(1)} differ from their actual behaviour?`,
    `Which segments of ${word(0)} are underserved today?`,
  ];
  return [
    `# Research notes: ${subject}`,
    `**Scope.** ${scopeLine(input)}`,
    `## Background`,
    `This topic sits where ${word(0)}, ${word(1)} and ${word(2)} meet. The notes below collect the facts, actors and open questions the next steps need, with each point kept short enough to verify.`,
    ...findingsSection(input.findings),
    `## Key facts`,
    bullets(random.shuffle(facts).slice(0, input.findings?.length ? 3 : 5)),
    `## Actors and stakeholders`,
    bullets(random.shuffle(actors).slice(0, 3)),
    `## Open questions`,
    bullets(random.shuffle(questions).slice(0, 3)),
    noticeFor(input),
  ].join("\n\n");
}

/** What the tools found, quoted and attributed: the part of an offline answer that is not made up. */
function findingsSection(findings: readonly OfflineFinding[] | undefined): string[] {
  if (!findings?.length) return [];
  const lines = findings.map(
    (finding) => `From **${finding.title.replace(/[*_]/g, "")}**: "${shorten(finding.passage.replace(/\s+/g, " "), 40)}"`,
  );
  return [`## From the team's knowledge base`, bullets(lines)];
}

function writeAnalysis({ subject, subjects, word, evidence, random }: Material): string {
  const themes = [
    {
      name: `${capitalize(word(1))} as the main driver`,
      text: `most of the evidence links outcomes for ${subject} to ${word(1)} rather than to ${word(4)}`,
    },
    { name: "Fragmented evidence", text: `claims about ${word(3)} come from few, often interested, sources` },
    { name: "Segmentation matters", text: `conclusions differ by segment, so a single headline number for ${word(0)} misleads` },
    { name: "Constraints before technology", text: `progress is held back more by ${word(2)} than by capability` },
    { name: "Cost is the swing factor", text: `total cost, not list price, decides adoption of ${word(0)}` },
  ];
  const chosen = random.shuffle(themes).slice(0, 3);
  const patternLines = chosen.map((theme, index) => {
    const quote = evidence[index % Math.max(evidence.length, 1)];
    const support = quote ? ` — supported by _"${shorten(quote.line, 14)}"_ (${quote.stepId})` : "";
    return `**${theme.name}:** ${theme.text}${support}.`;
  });
  const sections = [`# Analysis: ${subject}`, `## Patterns`, bullets(patternLines)];
  if (subjects.length >= 2) sections.push(`## Comparison`, comparisonTable(subjects, word, random));
  const insights = [
    `The strongest lever for ${subject} is ${word(1)}; effort spent there moves outcomes most.`,
    `Decisions should be staged: validate ${word(2)} assumptions before committing to ${word(3)}.`,
    `The evidence is strongest on ${word(0)} and weakest on ${word(3)}, which is where the main uncertainty sits.`,
    `Differences between segments are larger than differences between providers.`,
  ];
  sections.push(`## Insights`, numbered(random.shuffle(insights).slice(0, 3)));
  const findingRows = chosen.map((theme, index) => {
    const quote = evidence[(index + 1) % Math.max(evidence.length, 1)];
    const source = quote ? `${quote.stepId}: "${shorten(quote.line, 9)}"` : "task brief";
    return `| ${theme.name} | ${source.replace(/\|/g, "/")} | ${random.pick(["High", "Medium", "Medium", "Low"])} |`;
  });
  sections.push(`## Structured findings`, ["| Finding | Evidence | Confidence |", "|---|---|---|", ...findingRows].join("\n"));
  sections.push(
    `## Risks and caveats`,
    bullets([
      `Figures on ${word(3)} may be out of date; re-check before relying on them.`,
      evidence.length > 0
        ? `This analysis rests on ${evidence.length} points from earlier steps; gaps there carry through.`
        : "No upstream research was provided, so findings rest on the brief alone.",
    ]),
  );
  return sections.join("\n\n");
}

function comparisonTable(subjects: string[], word: (index: number) => string, random: SeededRandom): string {
  const dimensions = [capitalize(word(1)), capitalize(word(2)), "Maturity", "Total cost", "Ecosystem"];
  const ratings = ["stronger", "comparable", "weaker", "mixed", "improving"];
  const header = `| Dimension | ${subjects.join(" | ")} |`;
  const divider = `|---|${subjects.map(() => "---").join("|")}|`;
  const rows = dimensions.map((dimension) => `| ${dimension} | ${subjects.map(() => random.pick(ratings)).join(" | ")} |`);
  return [header, divider, ...rows, "", "_Indicative ratings; verify against the research before deciding._"].join("\n");
}

function writeSynthesis(input: OfflineWritingInput, { subject, subjects, word, evidence, random }: Material): string {
  const documentType =
    /\b(brief|report|memo|summary|overview|plan|proposal|comparison|guide|checklist|recommendation)\b/i.exec(input.task)?.[1] ??
    (subjects.length >= 2 ? "comparison" : undefined);
  const upstreamPoints = evidence.map((item) => item.line).filter((line) => line.length > 20);
  const findings =
    upstreamPoints.length > 0
      ? upstreamPoints.slice(0, 4)
      : [
          `The main driver of outcomes for ${subject} is ${word(1)}.`,
          `Evidence on ${word(3)} is thin and should be verified.`,
          `Results differ by segment; avoid one-size-fits-all conclusions.`,
        ];
  const recommendations = [
    `Prioritise ${word(1)}: it is the lever with the clearest effect on ${subject}.`,
    `Run a small, time-boxed pilot focused on ${word(2)} before a larger commitment.`,
    `Commission an independent check of the figures on ${word(3)}.`,
    `Segment the decision: treat ${word(0)} separately for each major user group.`,
    `Set two or three measurable success criteria and review them after the first quarter.`,
  ];
  return [
    `# ${capitalize(subject)}: ${documentType ? capitalize(documentType.toLowerCase()) : "Summary"}`,
    `## Executive summary`,
    `The picture for ${subject} is shaped above all by ${word(1)} and ${word(2)}. ${
      upstreamPoints[0]
        ? `The work so far points to one central observation: ${lowerFirst(stripFinalStop(statementOf(upstreamPoints[0])))}.`
        : `The clearest opportunity lies in ${word(0)}.`
    } The main uncertainty concerns ${word(3)}, so the recommendations below favour steps that can be reversed cheaply.`,
    `## Key findings`,
    bullets(findings),
    `## Recommendations`,
    numbered(random.shuffle(recommendations).slice(0, 3)),
    `## Next steps`,
    bullets([
      `Confirm the two most important numbers on ${word(3)} with a primary source.`,
      `Share this ${documentType?.toLowerCase() ?? "summary"} with the people responsible for ${word(0)} and collect their corrections.`,
      `Revisit the conclusions once new data on ${word(1)} is available.`,
    ]),
    noticeFor(input),
  ].join("\n\n");
}

function writeAggregation(input: OfflineWritingInput, { subject, word }: Material): string {
  const perStep = input.upstream.map((output) => {
    const points = bulletLines(output.text).slice(0, 3);
    return [`## ${capitalize(output.agentKind)}: ${output.stepId}`, points.length > 0 ? bullets(points) : shorten(output.text, 60)].join(
      "\n\n",
    );
  });
  return [
    `# ${capitalize(subject)}: combined result`,
    `## Summary`,
    `This document combines ${input.upstream.length} step${input.upstream.length === 1 ? "" : "s"} of work on ${subject}. The recurring themes are ${word(1)} and ${word(2)}.`,
    ...perStep,
    noticeFor(input),
  ].join("\n\n");
}

function writeCustom(input: OfflineWritingInput, { subject, word, evidence, random }: Material): string {
  const observations = [
    `From a ${input.agentName.toLowerCase()} perspective, getting ${word(1)} right comes first for ${subject}.`,
    `Constraints around ${word(2)} should be settled early.`,
    `Dependencies on ${word(3)} are the most likely source of delay.`,
    `The brief leaves ${word(4)} open; decide it explicitly rather than by default.`,
  ];
  return [
    `# ${input.agentName}: ${subject}`,
    `**Scope.** ${scopeLine(input)}`,
    ...findingsSection(input.findings),
    `## Observations`,
    bullets(random.shuffle(observations).slice(0, 3)),
    ...(evidence[0]
      ? [`## Building on earlier steps`, `Earlier work notes: _"${shorten(evidence[0].line, 18)}"_ (${evidence[0].stepId}).`]
      : []),
    `## Recommendation`,
    `Address ${word(1)} first, then ${word(2)}, and document the assumptions made about ${word(3)}.`,
  ].join("\n\n");
}

function scopeLine(input: OfflineWritingInput): string {
  return shorten((input.instruction || input.task).replace(/\s+/g, " "), 40);
}

/** Bullet and numbered list items of a markdown text, without markdown decoration. */
function bulletLines(text: string): string[] {
  return text
    .split("\n")
    .map((line) => /^\s*(?:[-*+]|\d+[.)])\s+(.+)$/.exec(line)?.[1] ?? "")
    .map((line) =>
      line
        .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
        .replace(/[*_`]+/g, "")
        .replace(/\s+—\s+supported by.*$/, "")
        .trim(),
    )
    .filter((line) => line.length > 0);
}

function bullets(lines: readonly string[]): string {
  return lines.map((line) => `- ${line}`).join("\n");
}

function numbered(lines: readonly string[]): string {
  return lines.map((line, index) => `${index + 1}. ${line}`).join("\n");
}

function shorten(text: string, maxWords: number): string {
  const words = text.trim().split(/\s+/);
  return words.length <= maxWords ? text.trim() : `${words.slice(0, maxWords).join(" ")}…`;
}

/** "Cost is the swing factor: total cost decides" → "total cost decides". */
function statementOf(line: string): string {
  const colon = line.indexOf(": ");
  return colon > 0 && colon < 40 ? line.slice(colon + 2) : line;
}

function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

function stripFinalStop(text: string): string {
  return text.replace(/[.…]+$/, "");
}
