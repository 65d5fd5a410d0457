import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * Postgres's online backup API on one session of its own (server/backup uses it): the backup's
 * start and stop must be called on the same connection, and the temporary replication slot that
 * keeps the WAL from the start on lives exactly as long as that connection.
 */
export interface OnlineBackupSession {
  serverVersion: string;
  /** Marks the start (with a fast checkpoint); returns its WAL position and the segment file holding it. */
  start(label: string): Promise<{ lsn: string; segment: string }>;
  /** Marks the stop; returns its WAL position and segment, and the backup_label / tablespace_map contents. */
  stop(): Promise<{ lsn: string; segment: string; labelFile: string; tablespaceMap: string }>;
  close(): Promise<void>;
}

export async function openOnlineBackupSession(url: string): Promise<OnlineBackupSession> {
  const client = new pg.Client({ connectionString: url, application_name: "chorus backup" });
  client.on("error", () => undefined); // a lost connection rejects the statement in flight
  await client.connect();
  try {
    const serverVersion = (await client.query<{ server_version: string }>("SHOW server_version")).rows[0]!.server_version;
    // A temporary slot (dropped with this session) keeps every WAL segment from now on, however
    // many checkpoints happen while the files are copied.
    await client.query("SELECT pg_create_physical_replication_slot($1, true, true)", [`chorus_backup_${randomBytes(4).toString("hex")}`]);
    return {
      serverVersion,
      async start(label) {
        const { rows } = await client.query<{ lsn: string; segment: string }>(
          "SELECT lsn::text AS lsn, pg_walfile_name(lsn) AS segment FROM pg_backup_start($1, true) AS lsn",
          [label],
        );
        return rows[0]!;
      },
      async stop() {
        const { rows } = await client.query<{ lsn: string; segment: string; labelfile: string; spcmapfile: string }>(
          "SELECT lsn::text AS lsn, pg_walfile_name(lsn) AS segment, labelfile, spcmapfile FROM pg_backup_stop(false)",
        );
        const row = rows[0]!;
        return { lsn: row.lsn, segment: row.segment, labelFile: row.labelfile, tablespaceMap: row.spcmapfile };
      },
      close: () => client.end().catch(() => undefined),
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/** How many tasks a database holds (0 before its first migration): what a restore reports. */
export async function countTasksAt(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  try {
    const { rows } = await client
      .query<{ tasks: number }>(`SELECT count(*)::int AS tasks FROM "Task"`)
      .catch(() => ({ rows: [{ tasks: 0 }] }));
    return rows[0]!.tasks;
  } finally {
    await client.end();
  }
}
