/**
 * The HTTP request a piece of work is being done for, carried through its awaits by
 * AsyncLocalStorage, so every log line written while answering it can name it (`requestId`)
 * without each call site passing it along.
 */
import { AsyncLocalStorage } from "node:async_hooks";

interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `work` (and everything it starts) as part of the request `requestId`. */
export function runInRequestContext<T>(requestId: string, work: () => T): T {
  return storage.run({ requestId }, work);
}

/** The id of the request being answered, when there is one. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
