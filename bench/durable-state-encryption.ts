/**
 * Benchmark — what encrypting durable state costs per step output (docs/secrets.md): Chorus's
 * service (AES-256-GCM envelopes under the master key, server/secrets/durable-state-encryption.ts)
 * against the encryption middleware's default (libsodium secretbox in WebAssembly), encrypting a
 * step's output once when the step ran and decrypting it on every replay that passes the step,
 * for outputs the size of a plan, an agent's answer and a long report. No database, no SDK
 * replay: the crypto and JSON alone.
 *
 *   node_modules/.bin/tsx --tsconfig tsconfig.json --import ./bin/server-only-outside-next.mjs bench/durable-state-encryption.ts
 *   env: BENCH_ROUNDS (default 5000)
 */
import { randomBytes } from "node:crypto";
import { LibSodiumEncryptionService } from "@inngest/middleware-encryption/strategies/libSodium";

process.env.CHORUS_MASTER_KEY ??= randomBytes(32).toString("base64");
process.env.LOG_LEVEL ??= "warn";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5000);

const { durableStateEncryption } = await import("../server/secrets/durable-state-encryption");
const services = {
  "chorus (AES-256-GCM, node:crypto)": durableStateEncryption(),
  "middleware default (libsodium)": new LibSodiumEncryptionService(randomBytes(32).toString("base64")),
};

const words = (count: number) => Array.from({ length: count }, (_, index) => `word${index % 97}`).join(" ");
const outputs = {
  "plan (≈1 KB)": { steps: Array.from({ length: 3 }, (_, index) => ({ id: `s${index}`, agent: "research", subtask: words(25) })) },
  "agent answer (≈4 KB)": { executionId: "e1", text: words(600), sources: [{ title: "A source", url: "https://example.com" }] },
  "long report (≈32 KB)": { executionId: "e2", text: words(4800), sources: [] },
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

console.log(`| service | output | bytes | encrypt µs (median) | decrypt µs (median) | JSON round trip alone µs |`);
console.log(`| --- | --- | ---: | ---: | ---: | ---: |`);
for (const [serviceName, service] of Object.entries(services))
  for (const [name, output] of Object.entries(outputs)) {
    const sealed = await service.encrypt(output);
    for (let index = 0; index < 200; index += 1) await service.decrypt(await service.encrypt(output)); // warm-up
    const encrypt: number[] = [];
    const decrypt: number[] = [];
    const json: number[] = [];
    for (let index = 0; index < ROUNDS; index += 1) {
      let start = process.hrtime.bigint();
      await service.encrypt(output);
      encrypt.push(Number(process.hrtime.bigint() - start) / 1000);
      start = process.hrtime.bigint();
      await service.decrypt(sealed);
      decrypt.push(Number(process.hrtime.bigint() - start) / 1000);
      start = process.hrtime.bigint();
      JSON.parse(JSON.stringify(output));
      json.push(Number(process.hrtime.bigint() - start) / 1000);
    }
    const bytes = Buffer.byteLength(JSON.stringify(output));
    console.log(
      `| ${serviceName} | ${name} | ${bytes} | ${median(encrypt).toFixed(1)} | ${median(decrypt).toFixed(1)} | ${median(json).toFixed(1)} |`,
    );
  }
