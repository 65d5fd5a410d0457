/**
 * Group commit for one kind of write: requests that arrive while `maxInFlight` batches are
 * being written wait and go out together as the next batch, so under load many share one
 * statement (one round trip, one commit), and a request that finds the writer idle goes out at
 * once — batching never delays a lone write. `write` answers each request of a batch, in order;
 * if it throws, every request of that batch fails with the error.
 *
 * One batch in flight by default: measured on the engine benchmark (16 runs in flight, 2
 * cores), one instead of two cut the statements per run from 1.6 to 1.1 and the executor's CPU
 * per run by a fifth, and raised throughput — the executor's thread, not the database's latency,
 * is what runs out first.
 */
export class Batcher<Request, Result> {
  private queue: { request: Request; resolve: (result: Result) => void; reject: (error: unknown) => void }[] = [];
  private inFlight = 0;

  constructor(
    private readonly write: (batch: Request[]) => Promise<Result[]>,
    private readonly options: { maxInFlight?: number; maxBatch?: number } = {},
  ) {}

  submit(request: Request): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.pump();
    });
  }

  private pump() {
    const maxInFlight = this.options.maxInFlight ?? 1;
    const maxBatch = this.options.maxBatch ?? 64;
    while (this.inFlight < maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, maxBatch);
      this.inFlight++;
      this.write(batch.map((entry) => entry.request))
        .then(
          (results) => {
            if (results.length !== batch.length) throw new Error(`A batch of ${batch.length} writes returned ${results.length} results`);
            batch.forEach((entry, index) => entry.resolve(results[index]!));
          },
          (error: unknown) => {
            for (const entry of batch) entry.reject(error);
          },
        )
        .catch((error: unknown) => {
          for (const entry of batch) entry.reject(error);
        })
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }
}
