import { terminalEventTypes } from "@/server/domain/task-vocabulary";
import { followTeamTaskEvents } from "@/server/events/team-task-feed";

/**
 * Wakes an experiment's round when one of its team's tasks finishes, so the round settles cases
 * as they end instead of polling the database. Built on the team stream's one shared reader per
 * process (cross-process through NOTIFY), so a round adds a listener, never a query or a timer
 * of its own besides a slow safety re-check.
 */

const FINISHING_EVENTS = new Set<string>(terminalEventTypes);

export interface TaskEndSignal {
  /** Resolves at the next task end in the team (at once if one came since the last wait), or after `ms`. */
  wait(ms: number): Promise<void>;
  close(): void;
}

export function watchTeamTaskEnds(teamId: string): TaskEndSignal {
  const controller = new AbortController();
  let ended = false;
  let wake: (() => void) | undefined;
  const nudge = () => {
    ended = true;
    wake?.();
  };
  followTeamTaskEvents(teamId, null, controller.signal, {
    event: (event) => {
      if (FINISHING_EVENTS.has(event.type)) nudge();
    },
    ready: () => undefined,
    // Too far behind to replay: something may have finished.
    reset: nudge,
    heartbeat: () => undefined,
    end: () => undefined,
  });
  return {
    async wait(ms) {
      if (!ended) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      ended = false;
      wake = undefined;
    },
    close: () => controller.abort(),
  };
}
