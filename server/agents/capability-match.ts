/**
 * Fuzzy matching of free text ("writer", "summarise the findings") against what agents say
 * they can do. Used to route a plan step that names an unknown agent, and by `canHandle`.
 * Words are compared by a crude stem so "writer", "writing" and "write" meet.
 */

export interface AgentProfile {
  kind: string;
  name?: string;
  description?: string;
  capabilities: readonly string[];
}

const IGNORED = new Set(
  "the and for with from into that this then than are was were its our your their about each agent agents step steps task tasks work".split(
    " ",
  ),
);

export function stemsOf(text: string): string[] {
  const stems: string[] = [];
  for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    if (word.length < 3 || IGNORED.has(word)) continue;
    stems.push(word.replace(/(?:ings|ing|ers|er|ed|es|s|e)$/, (suffix) => (word.length - suffix.length >= 4 ? "" : suffix)));
  }
  return stems;
}

function stemsMatch(a: string, b: string): boolean {
  const shorter = Math.min(a.length, b.length);
  let common = 0;
  while (common < shorter && a[common] === b[common]) common += 1;
  return common >= Math.min(5, shorter) && shorter >= 3;
}

/** How many of the query's stems appear among the given stems. */
function overlap(query: readonly string[], target: readonly string[]): number {
  return query.filter((stem) => target.some((candidate) => stemsMatch(stem, candidate))).length;
}

function profileStems(agent: AgentProfile): string[] {
  return stemsOf([agent.kind, agent.name ?? "", agent.description ?? "", ...agent.capabilities].join(" "));
}

/** True when the capability shares a word with the agent's kind or capabilities. */
export function matchesCapability(agent: AgentProfile, capability: string): boolean {
  return overlap(stemsOf(capability), stemsOf([agent.kind, ...agent.capabilities].join(" "))) > 0;
}

/**
 * The agent whose profile best fits an unknown agent label and the work it was given.
 * The label counts three times as much as the work description: a step the planner
 * called "writer" is a writing step even if its text mentions research.
 */
export function closestAgent(label: string, work: string, agents: readonly AgentProfile[]): AgentProfile | undefined {
  const labelStems = stemsOf(label.replace(/[-_]/g, " "));
  const workStems = stemsOf(work);
  let best: { agent: AgentProfile; score: number } | undefined;
  for (const agent of agents) {
    const stems = profileStems(agent);
    const score = 3 * overlap(labelStems, stems) + overlap(workStems, stems);
    if (score > 0 && (!best || score > best.score)) best = { agent, score };
  }
  return best?.agent;
}
