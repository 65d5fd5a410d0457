/**
 * How often the response cache answered, in this process: hits (from memory or from the shared
 * store), misses, and responses stored. Plain counters, read by the metrics endpoint once it
 * exists (`cacheCounts`), and by tests and the bench to see the cache at work.
 */

export interface CacheCounts {
  hits: number;
  memoryHits: number;
  storeHits: number;
  misses: number;
  stored: number;
}

const counts: CacheCounts = { hits: 0, memoryHits: 0, storeHits: 0, misses: 0, stored: 0 };

export function countCacheHit(from: "memory" | "store"): void {
  counts.hits += 1;
  if (from === "memory") counts.memoryHits += 1;
  else counts.storeHits += 1;
}

export function countCacheMiss(): void {
  counts.misses += 1;
}

export function countCacheStore(): void {
  counts.stored += 1;
}

/** A copy: callers compare before and after. */
export function cacheCounts(): CacheCounts {
  return { ...counts };
}
