/**
 * Is the worker holding a lease still alive? Used to take over the runs of a worker that died
 * on this machine (`kill -9`, a crash, a container restart) at once, instead of after its lease
 * expires. Two independent signals must both say "dead" before a lease is ended early:
 *
 * 1. The worker id. Default ids are `<hostname>:<pid>:<tag>`. An id with this machine's
 *    hostname is dead when no process has its pid (`process.kill(pid, 0)` fails with ESRCH, or
 *    the process is a zombie not yet reaped by its parent), or when its pid is this process's
 *    and it is not one of the executors living in this process (an earlier incarnation whose
 *    pid was reused, as in a restarted container).
 * 2. Its presence lock. Every executor holds a session advisory lock keyed by its worker id on
 *    a connection of its own; Postgres drops it when that connection closes, which it does the
 *    moment the process dies. This guards against hostnames shared across pid namespaces (host
 *    networking, `hostNetwork: true` pods), where signal 1 alone would misread a live
 *    neighbour's pid.
 *
 * Leases of ids from other machines, or that don't parse, are left to expire.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import pg from "pg";
import type { ExecutorLogger } from "./logging";

export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** The ids of executors started (and not yet stopped) in this process, across module copies. */
const liveKey = Symbol.for("chorus.executor.live-workers");
type GlobalWithWorkers = typeof globalThis & { [liveKey]?: Set<string> };
export const workersInThisProcess: Set<string> = ((globalThis as GlobalWithWorkers)[liveKey] ??= new Set());

export function parseWorkerId(workerId: string): { host: string; pid: number; tag: string } | undefined {
  const match = /^(.+):(\d+):([^:]+)$/.exec(workerId);
  return match ? { host: match[1]!, pid: Number(match[2]), tag: match[3]! } : undefined;
}

/** A process with this pid is running (a zombie — killed, not yet reaped by its parent — is not). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
  return !isZombie(pid);
}

/** Linux only (elsewhere: false). The state follows the last ")" of `/proc/<pid>/stat`. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}

export interface Here {
  hostname: string;
  pid: number;
  live: ReadonlySet<string>;
  processExists(pid: number): boolean;
}

export const here = (): Here => ({ hostname: hostname(), pid: process.pid, live: workersInThisProcess, processExists });

/** Signal 1: the ids among `owners` that belonged to a process on this machine that is gone. */
export function deadLocalWorkers(owners: string[], where: Here): string[] {
  return owners.filter((owner) => {
    const id = parseWorkerId(owner);
    if (!id || id.host !== where.hostname || where.live.has(owner)) return false;
    return id.pid === where.pid || !where.processExists(id.pid);
  });
}

/** Signal 2's SQL: true while the worker named by `ownerSql` holds its presence lock. */
export const PRESENCE_HELD = (ownerSql: string) => `EXISTS (
  SELECT 1 FROM pg_locks l
  WHERE l."locktype" = 'advisory' AND l."granted" AND l."objsubid" = 2
    AND l."database" = (SELECT "oid" FROM pg_database WHERE "datname" = current_database())
    AND l."classid" = hashtext('chorus.executor.worker')::oid AND l."objid" = hashtext(${ownerSql})::oid)`;

/** Holds this worker's presence lock on a connection of its own while the executor runs. */
export class PresenceLock {
  private client: pg.Client | undefined;
  private acquiring: Promise<void> | undefined;
  /** Another live executor holds this id's lock: don't ask again every poll. */
  private contended = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly workerId: string,
    private readonly logger: ExecutorLogger,
  ) {}

  /** Takes the lock if it is not held (at start, and again at each poll after a lost connection). */
  ensure(): Promise<void> {
    if (this.client || this.contended) return Promise.resolve();
    this.acquiring ??= this.acquire().finally(() => (this.acquiring = undefined));
    return this.acquiring;
  }

  private async acquire() {
    const client = new pg.Client({ ...this.pool.options, application_name: `chorus-executor ${this.workerId}` });
    client.on("error", (error) => {
      this.logger.warn("executor presence connection lost; re-taking it at the next poll", { workerId: this.workerId, error });
      if (this.client === client) this.client = undefined;
      void client.end().catch(() => undefined);
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ locked: boolean }>(
        `SELECT pg_try_advisory_lock(hashtext('chorus.executor.worker'), hashtext($1)) AS "locked"`,
        [this.workerId],
      );
      if (!rows[0]?.locked) {
        // Another live executor uses this worker id (or its hash): it keeps the lock, and this
        // worker's leases are still protected by the worker-id check.
        this.logger.warn("another live executor holds this worker id's presence lock", { workerId: this.workerId });
        this.contended = true;
        await client.end();
        return;
      }
      this.client = client;
    } catch (error) {
      this.logger.warn("executor could not take its presence lock; retrying at the next poll", { workerId: this.workerId, error });
      await client.end().catch(() => undefined);
    }
  }

  async release() {
    await this.acquiring;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
