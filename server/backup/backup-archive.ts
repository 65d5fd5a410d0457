import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open } from "node:fs/promises";
import path from "node:path";
import { createGunzip, createGzip, type Gzip } from "node:zlib";

/**
 * The file format of `chorus backup`: a gzip stream that starts with a magic line, then one
 * entry per directory or file — a 4-byte length, a JSON header (`{ type, path, mode, size }`),
 * then for a file exactly `size` bytes. Written and read as streams in Node, so a backup needs
 * no `tar` on the machine and never holds a whole file in memory.
 *
 * A file Postgres writes while it is copied may change, grow or shrink under the copy: the
 * header's size is the one seen when the file was opened, a file that shrank meanwhile is padded
 * with zeros, and the WAL in the backup repairs such pages when the restored cluster starts
 * (that is what Postgres's online backup API is for).
 */

const MAGIC = Buffer.from("CHORUS-BACKUP 1\n");
const CHUNK = 1024 * 1024;

export interface ArchiveEntryHeader {
  type: "file" | "directory";
  path: string;
  mode: number;
  size: number;
}

/** The archive is not one `chorus backup` wrote (or it is cut short). */
export class NotABackupError extends Error {}

export class ArchiveWriter {
  private readonly gzip: Gzip = createGzip({ level: 6 });
  private readonly done: Promise<unknown>;
  private bytes = 0;

  constructor(file: string) {
    const out = createWriteStream(file, { flags: "wx", mode: 0o600 });
    this.gzip.pipe(out);
    this.done = once(out, "close");
    out.on("error", (error) => this.gzip.destroy(error));
  }

  private async write(chunk: Buffer) {
    this.bytes += chunk.length;
    if (!this.gzip.write(chunk)) await once(this.gzip, "drain");
  }

  private async header(header: ArchiveEntryHeader) {
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(json.length);
    await this.write(Buffer.concat([length, json]));
  }

  async start() {
    await this.write(MAGIC);
  }

  async addDirectory(name: string, mode: number) {
    await this.header({ type: "directory", path: name, mode, size: 0 });
  }

  async addBuffer(name: string, data: Buffer, mode = 0o600) {
    await this.header({ type: "file", path: name, mode, size: data.length });
    await this.write(data);
  }

  /** Copies a file as it is now; false if it vanished before it could be opened (Postgres dropped it). */
  async addFile(name: string, source: string): Promise<boolean> {
    let handle;
    try {
      handle = await open(source, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
    try {
      const stats = await handle.stat();
      await this.header({ type: "file", path: name, mode: stats.mode & 0o777, size: stats.size });
      let copied = 0;
      while (copied < stats.size) {
        const buffer = Buffer.alloc(Math.min(CHUNK, stats.size - copied));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, copied);
        // Shrunk while copied: the rest stays zeros, as announced by the header's size.
        await this.write(buffer);
        copied += buffer.length;
        if (bytesRead < buffer.length) {
          if (copied < stats.size) await this.write(Buffer.alloc(stats.size - copied));
          break;
        }
      }
      return true;
    } finally {
      await handle.close();
    }
  }

  /** Ends the archive; resolves once it is on disk, with the bytes written before compression. */
  async finish(): Promise<number> {
    this.gzip.end();
    await this.done;
    return this.bytes;
  }

  abort() {
    this.gzip.destroy();
  }
}

/** Reads exact byte counts from a stream of chunks. */
class ByteReader {
  private chunks: Buffer[] = [];
  private length = 0;
  private ended = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(wanted: number) {
    while (this.length < wanted && !this.ended) {
      const next = await this.source.next();
      if (next.done) this.ended = true;
      else {
        this.chunks.push(next.value);
        this.length += next.value.length;
      }
    }
  }

  async atEnd(): Promise<boolean> {
    await this.fill(1);
    return this.length === 0;
  }

  async take(count: number): Promise<Buffer> {
    await this.fill(count);
    if (this.length < count) throw new NotABackupError("the backup is cut short");
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const taken = all.subarray(0, count);
    const rest = all.subarray(count);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    return taken;
  }
}

function safeRelativePath(name: string): string {
  const normal = path.normalize(name);
  if (path.isAbsolute(normal) || normal === ".." || normal.startsWith(`..${path.sep}`))
    throw new NotABackupError(`the backup names a path outside its directory: ${name}`);
  return normal;
}

/**
 * Unpacks an archive into `directory`, calling `check` with the first entry (the manifest) before
 * anything is written; returns the number of files written.
 */
export async function extractArchive(
  file: string,
  directory: string,
  check: (first: ArchiveEntryHeader, contents: Buffer) => void,
): Promise<number> {
  const gunzip = createGunzip();
  const input = createReadStream(file);
  input.on("error", (error) => gunzip.destroy(error));
  const reader = new ByteReader(input.pipe(gunzip)[Symbol.asyncIterator]());
  let files = 0;
  try {
    const magic = await reader.take(MAGIC.length).catch(() => Buffer.alloc(0));
    if (!magic.equals(MAGIC)) throw new NotABackupError("it is not a Chorus backup");
    let first = true;
    while (!(await reader.atEnd())) {
      const length = (await reader.take(4)).readUInt32BE();
      if (length > 64 * 1024) throw new NotABackupError("it is not a Chorus backup (a malformed entry)");
      let header: ArchiveEntryHeader;
      try {
        header = JSON.parse((await reader.take(length)).toString("utf8")) as ArchiveEntryHeader;
      } catch {
        throw new NotABackupError("it is not a Chorus backup (a malformed entry)");
      }
      const target = path.join(directory, safeRelativePath(header.path));
      if (first) {
        check(header, await reader.take(header.size));
        first = false;
        continue;
      }
      if (header.type === "directory") {
        await mkdir(target, { recursive: true, mode: header.mode });
        continue;
      }
      await mkdir(path.dirname(target), { recursive: true });
      const handle = await open(target, "wx", header.mode);
      try {
        for (let written = 0; written < header.size;) {
          const piece = await reader.take(Math.min(CHUNK, header.size - written));
          await handle.write(piece);
          written += piece.length;
        }
      } finally {
        await handle.close();
      }
      files++;
    }
    if (first) throw new NotABackupError("it is not a Chorus backup (it is empty)");
    return files;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "Z_DATA_ERROR" || (error as NodeJS.ErrnoException).code === "Z_BUF_ERROR")
      throw new NotABackupError("it is not a Chorus backup (not a gzip stream, or a damaged one)");
    throw error;
  } finally {
    input.destroy();
  }
}
