import { describe, expect, it } from "vitest";
import { Batcher } from "@/inngest/executor/batcher";

/** A writer whose batches finish when the test says so. */
function controlledWriter() {
  const batches: number[][] = [];
  const finishers: (() => void)[] = [];
  let fail: Error | undefined;
  const write = (batch: number[]) => {
    batches.push(batch);
    return new Promise<number[]>((resolve, reject) => {
      finishers.push(() => (fail ? reject(fail) : resolve(batch.map((n) => n * 10))));
    });
  };
  return {
    write,
    batches,
    finishNext: () => finishers.shift()!(),
    failWith: (error: Error) => (fail = error),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("Batcher (group commit)", () => {
  it("sends a lone write at once, and batches what arrives while the writer is busy", async () => {
    const writer = controlledWriter();
    const batcher = new Batcher(writer.write, { maxInFlight: 1 });
    const first = batcher.submit(1);
    expect(writer.batches).toEqual([[1]]);
    const rest = [batcher.submit(2), batcher.submit(3), batcher.submit(4)];
    expect(writer.batches).toEqual([[1]]);
    writer.finishNext();
    expect(await first).toBe(10);
    await tick();
    expect(writer.batches).toEqual([[1], [2, 3, 4]]);
    writer.finishNext();
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
  });

  it("keeps up to maxInFlight batches going and caps a batch at maxBatch", async () => {
    const writer = controlledWriter();
    const batcher = new Batcher(writer.write, { maxInFlight: 2, maxBatch: 2 });
    const all = [1, 2, 3, 4, 5].map((n) => batcher.submit(n));
    expect(writer.batches).toEqual([[1], [2]]);
    writer.finishNext();
    await tick();
    expect(writer.batches).toEqual([[1], [2], [3, 4]]);
    writer.finishNext();
    await tick();
    expect(writer.batches).toEqual([[1], [2], [3, 4], [5]]);
    writer.finishNext();
    writer.finishNext();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50]);
  });

  it("fails every write of a batch that fails, and goes on with the next", async () => {
    const writer = controlledWriter();
    const batcher = new Batcher(writer.write, { maxInFlight: 1 });
    const first = batcher.submit(1);
    const second = batcher.submit(2);
    writer.failWith(new Error("connection lost"));
    writer.finishNext();
    await expect(first).rejects.toThrow("connection lost");
    await tick();
    writer.finishNext();
    await expect(second).rejects.toThrow("connection lost");
  });

  it("rejects a batch whose writer answers the wrong number of results", async () => {
    const batcher = new Batcher(async (batch: number[]) => batch.slice(1), { maxInFlight: 1 });
    await expect(Promise.all([batcher.submit(1), batcher.submit(2)])).rejects.toThrow("returned 0 results");
  });
});
