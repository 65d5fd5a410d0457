/**
 * Where an ingested event goes: the runs it starts (triggers), the `waitForEvent` waits it
 * resolves and the runs it cancels (`cancelOn`). Pure functions over the function definitions
 * and candidate rows, so the rules are unit-tested without a database.
 */
import { concurrencyGroups } from "./concurrency";
import { compileExpression } from "./expression";
import { runIdFor } from "./identity";
import type { FunctionDefinition } from "./sdk";
import type { EventWait, NewRun, WaitResolution } from "./store";
import { parseDuration } from "./timing";

/** An event as stored and handed to functions: the SDK's payload plus its id and timestamp. */
export interface IngestedEvent extends Record<string, unknown> {
  name: string;
  id: string;
  ts: number;
  data: Record<string, unknown>;
}

/** Exact names, or a trailing wildcard (`"chorus/task.*"`) as Inngest triggers allow. */
export function eventNameMatches(pattern: string, name: string): boolean {
  return pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

export function runsForEvent(definitions: FunctionDefinition[], event: IngestedEvent): NewRun[] {
  return definitions
    .filter((definition) =>
      definition.triggers.some(
        (trigger) =>
          trigger.event !== undefined &&
          eventNameMatches(trigger.event, event.name) &&
          (!trigger.expression || compileExpression(trigger.expression).matches({ event })),
      ),
    )
    .map((definition) => ({
      id: runIdFor(definition.id, event.id),
      functionId: definition.id,
      event,
      concurrency: concurrencyGroups(definition.id, definition.concurrency, event),
    }));
}

/** Each wait is resolved by the first event (in send order) that matches it. */
export function resolveWaitsWith(events: IngestedEvent[], waits: EventWait[]): WaitResolution[] {
  const resolutions: WaitResolution[] = [];
  for (const wait of waits) {
    const runEvent = wait.condition ? (JSON.parse(wait.runEvent) as unknown) : undefined;
    const match = events.find(
      (event) =>
        event.name === wait.eventName && (!wait.condition || compileExpression(wait.condition).matches({ event: runEvent, async: event })),
    );
    if (match) resolutions.push({ runId: wait.runId, stepId: wait.stepId, data: JSON.stringify(match) });
  }
  return resolutions;
}

/** The function ids whose `cancelOn` rules listen for any of these events. */
export function cancellableFunctions(definitions: FunctionDefinition[], events: IngestedEvent[]): string[] {
  return definitions
    .filter((definition) => definition.cancelOn.some((rule) => events.some((event) => eventNameMatches(rule.event, event.name))))
    .map((definition) => definition.id);
}

export function runsToCancel(
  definitions: FunctionDefinition[],
  events: IngestedEvent[],
  runs: { id: string; functionId: string; event: string; ageMs: number }[],
): string[] {
  const byId = new Map(definitions.map((definition) => [definition.id, definition]));
  return runs
    .filter((run) => {
      const rules = byId.get(run.functionId)?.cancelOn ?? [];
      const runEvent = JSON.parse(run.event) as unknown;
      return rules.some(
        (rule) =>
          (!rule.timeout || run.ageMs <= parseDuration(rule.timeout)) &&
          events.some(
            (event) =>
              eventNameMatches(rule.event, event.name) &&
              (!rule.if || compileExpression(rule.if).matches({ event: runEvent, async: event })),
          ),
      );
    })
    .map((run) => run.id);
}
