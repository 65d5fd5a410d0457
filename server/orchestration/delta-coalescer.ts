/**
 * Token deltas arrive many per second; writing each as its own event would cost a database
 * round trip per token. This buffers them and flushes at most once per `intervalMs`, keeping
 * order: `flush()` resolves once everything handed in so far is written; `takeRest()` instead
 * hands back what is not written yet, so the caller can store it with its own closing events.
 */
export function createDeltaCoalescer(write: (text: string) => Promise<unknown>, intervalMs = 50) {
  let buffer = "";
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  let failure: unknown;

  const drain = () => {
    timer = undefined;
    if (!buffer) return chain;
    const text = buffer;
    buffer = "";
    chain = chain
      .then(() => write(text))
      .catch((error) => {
        failure ??= error;
      });
    return chain;
  };

  return {
    push(text: string) {
      if (!text) return;
      buffer += text;
      timer ??= setTimeout(() => void drain(), intervalMs);
    },
    async flush() {
      if (timer) clearTimeout(timer);
      await drain();
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows the write's own error, as it came
      if (failure) throw failure;
    },
    /** Waits for writes in flight, then returns the text not written yet (and forgets it). */
    async takeRest(): Promise<string> {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await chain;
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows the write's own error, as it came
      if (failure) throw failure;
      const text = buffer;
      buffer = "";
      return text;
    },
  };
}
