import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * next-auth needs AUTH_SECRET to sign sessions. So that `npm start` works with no set-up, a
 * missing secret is generated once and kept in the data dir (mode 0600); set AUTH_SECRET
 * explicitly when running several replicas.
 */
export async function loadOrCreateAuthSecret(dataDir: string): Promise<string> {
  const file = path.resolve(dataDir, "auth-secret");
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  await mkdir(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  await writeFile(file, secret, { mode: 0o600 });
  return secret;
}
