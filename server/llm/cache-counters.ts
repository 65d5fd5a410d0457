/**
 * How often the response cache answered, in this process: hits (from memory or from the shared
 * store), misses, and responses stored. Plain counters, read by tests and the bench to see the
 * cache at work (`cacheCounts`); hits and misses are also Prometheus counters (/api/metrics).
 */
import { countModelCacheLookup } from "@/server/observability/metrics";

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
  countModelCacheLookup("hit", from);
  if (from === "memory") counts.memoryHits += 1;
  else counts.storeHits += 1;
}

export function countCacheMiss(): void {
  counts.misses += 1;
  countModelCacheLookup("miss");
}

export function countCacheStore(): void {
  counts.stored += 1;
}

/** A copy: callers compare before and after. */
export function cacheCounts(): CacheCounts {
  return { ...counts };
}
