import { afterEach, describe, expect, it } from "vitest";
import type { SharedBreakerState } from "@/server/db/queries/model-breakers";
import { createAbortError } from "@/server/llm/abort";
import { BreakerRegistry, CircuitOpen, type BreakerStore } from "@/server/llm/breaker";

/**
 * The breaker's rules, with its shared state in memory: what opens it (consecutive failures, not
 * a share of them), what does not count (a cancel), what a second process takes from the shared
 * state, and how long it trusts what it read.
 */
function memoryStore() {
  const rows = new Map<string, SharedBreakerState>();
  let reads = 0;
  const store: BreakerStore = {
    read: async (key) => {
      reads++;
      return rows.get(key);
    },
    write: async (key, state) => void rows.set(key, state),
  };
  return { store, rows, reads: () => reads };
}

const registries: BreakerRegistry[] = [];
function registry(store: BreakerStore, sharedReadCacheMs = 0) {
  const created = new BreakerRegistry({ failureThreshold: 5, resetMs: 60_000, sharedReadCacheMs }, store);
  registries.push(created);
  return created;
}
afterEach(() => registries.splice(0).forEach((created) => created.shutdown()));

const fail = () => Promise.reject(new Error("boom"));
const succeed = () => Promise.resolve("ok");

describe("BreakerRegistry", () => {
  it("opens on 5 consecutive failures only: a success in between starts the count again", async () => {
    const breakers = registry(memoryStore().store);
    for (let i = 0; i < 4; i++) await breakers.run("k", fail).catch(() => undefined);
    await breakers.run("k", succeed);
    for (let i = 0; i < 4; i++) await breakers.run("k", fail).catch(() => undefined);
    expect(breakers.state("k")).toEqual({ state: "closed", consecutiveFailures: 4 });
    await breakers.run("k", fail).catch(() => undefined);
    expect(breakers.state("k").state).toBe("open");
    await expect(breakers.run("k", succeed)).rejects.toBeInstanceOf(CircuitOpen);
    expect(await breakers.openSince("k")).toBe(breakers.state("k").openedAt);
  });

  it("does not count a cancel as a failure", async () => {
    const breakers = registry(memoryStore().store);
    for (let i = 0; i < 10; i++) await breakers.run("k", () => Promise.reject(createAbortError())).catch(() => undefined);
    expect(breakers.state("k")).toEqual({ state: "closed", consecutiveFailures: 0 });
  });

  it("shares an open breaker: another process opens its own from the row, since the same time", async () => {
    const memory = memoryStore();
    const first = registry(memory.store);
    for (let i = 0; i < 5; i++) await first.run("k", fail).catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(memory.rows.get("k")).toMatchObject({ state: "open", consecutiveFailures: 5 });

    const second = registry(memory.store);
    expect(await second.openSince("k")).toBe(first.state("k").openedAt);
    expect(second.state("k").state).toBe("open");
  });

  it("ignores a shared open that is already due to half-open", async () => {
    const memory = memoryStore();
    memory.rows.set("k", { state: "open", consecutiveFailures: 5, openedAt: Date.now() - 61_000 });
    const breakers = registry(memory.store);
    expect(await breakers.openSince("k")).toBeUndefined();
  });

  it("reads the shared state at most once per cache period per key", async () => {
    const memory = memoryStore();
    const breakers = registry(memory.store, 60_000);
    await Promise.all(Array.from({ length: 20 }, () => breakers.openSince("k")));
    for (let i = 0; i < 20; i++) await breakers.openSince("k");
    expect(memory.reads()).toBe(1);
  });

  it("keeps working on its own state when the shared store cannot be read", async () => {
    const breakers = registry({ read: () => Promise.reject(new Error("database down")), write: () => Promise.reject(new Error("down")) });
    expect(await breakers.openSince("k")).toBeUndefined();
    for (let i = 0; i < 5; i++) await breakers.run("k", fail).catch(() => undefined);
    expect(await breakers.openSince("k")).toBeTypeOf("number");
  });
});
