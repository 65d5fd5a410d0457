import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromAgentInvocation, toAgentInvocation, type AgentStepInput } from "@/inngest/events";
import { parseEnv } from "@/server/env";
import { durableStateEncryption } from "@/server/secrets/durable-state-encryption";
import { encryptSecret, SecretUnreadableError } from "@/server/secrets/envelope";
import { keyIdOf, masterKeyring } from "@/server/secrets/master-keys";

/**
 * The service the encryption middleware encrypts durable state with (inngest/client.ts): task
 * content never in clear, readable after a master key rotation while the previous key is
 * configured, and a clear error — naming the key — once it is not.
 */
const keyA = randomBytes(32);
const keyB = randomBytes(32);
const ringOf = (current: Buffer, previous?: Buffer) =>
  masterKeyring(
    parseEnv({
      CHORUS_MASTER_KEY: current.toString("base64"),
      ...(previous ? { CHORUS_MASTER_KEY_PREVIOUS: previous.toString("base64") } : {}),
    }),
  );
const stepOutput = { text: "The agent's answer about lighthouses", sources: [{ title: "Keepers" }] };

describe("durable state encryption", () => {
  it("round-trips a step output without holding it in clear, a new nonce every time", async () => {
    const service = durableStateEncryption(ringOf(keyA));
    const sealed = await service.encrypt(stepOutput);
    expect(sealed).not.toContain("lighthouses");
    expect(sealed).toContain(keyIdOf(keyA));
    expect(await service.encrypt(stepOutput)).not.toBe(sealed);
    expect(await service.decrypt(sealed)).toEqual(stepOutput);
    expect(await service.decrypt(await service.encrypt(null))).toBeNull();
  });

  it("reads state written before a rotation while the previous key is configured, and names the key once it is gone", async () => {
    const sealedBefore = await durableStateEncryption(ringOf(keyA)).encrypt(stepOutput);
    const rotated = durableStateEncryption(ringOf(keyB, keyA));
    expect(await rotated.decrypt(sealedBefore)).toEqual(stepOutput);
    expect(await rotated.encrypt(stepOutput)).toContain(keyIdOf(keyB)); // the new key encrypts

    const withoutPrevious = durableStateEncryption(ringOf(keyB));
    await expect(async () => withoutPrevious.decrypt(sealedBefore)).rejects.toThrow(SecretUnreadableError);
    await expect(async () => withoutPrevious.decrypt(sealedBefore)).rejects.toThrow(keyIdOf(keyA));
  });

  it("refuses an envelope made for something else (a stored secret copied into step state)", async () => {
    const ring = ringOf(keyA);
    const secret = encryptSecret(JSON.stringify(stepOutput), { context: "McpServer.headersEncrypted:c1", keyring: ring });
    await expect(async () => durableStateEncryption(ring).decrypt(secret)).rejects.toThrow(SecretUnreadableError);
  });
});

describe("an agent step's invoke data", () => {
  const input: AgentStepInput = {
    taskId: "t1",
    teamId: "team1",
    stepId: "s2",
    agent: "analysis",
    subtask: "Analyse the lighthouse findings",
    taskPrompt: "Research lighthouses",
    dependsOn: ["s1"],
    upstream: [{ stepId: "s1", agentKind: "research", text: "Lighthouses guide ships." }],
    totalSteps: 3,
    allowFollowUps: false,
    helpers: [],
  };

  it("keeps task content under the one field the middleware encrypts, and the ids the engine routes on outside it", () => {
    const invocation = toAgentInvocation(input);
    const { encrypted, ...routing } = invocation;
    expect(JSON.stringify(routing)).not.toMatch(/lighthouse/i);
    expect(routing).toMatchObject({ taskId: "t1", teamId: "team1", agent: "analysis" });
    expect(JSON.stringify(encrypted)).toMatch(/lighthouse/i);
    expect(fromAgentInvocation(invocation)).toEqual(input);
  });

  it("still reads the flat data of a run invoked before the upgrade", () => {
    expect(fromAgentInvocation(input)).toEqual(input);
  });
});
