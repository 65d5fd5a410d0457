import { getPool } from "@/server/db/client";
import { isDatabaseUnavailable } from "@/server/db/unavailable";
import { logger } from "@/server/observability/logger";

export interface HealthReport {
  status: "ok" | "error";
  time: string;
  checks: Record<string, { status: "ok" | "error"; latencyMs?: number; message?: string }>;
}

/** A check's failure whose message is safe to show to anyone (it names no host or path). */
export class PublicCheckFailure extends Error {}

export async function timed(check: () => Promise<unknown>, timeoutMs: number) {
  const started = performance.now();
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    return { status: "ok" as const, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    // The answer is public (load balancers call it unauthenticated): say what, not where — a
    // driver's message can name hosts and socket paths. The details go to the log.
    logger.warn("health check failed", { error });
    const timedOut = error instanceof Error && error.message.startsWith("timed out");
    const shown = error instanceof PublicCheckFailure || timedOut ? error.message : isDatabaseUnavailable(error) ? "unavailable" : "failed";
    return { status: "error" as const, message: shown };
  }
}

export async function checkHealth(): Promise<HealthReport> {
  const checks = { database: await timed(() => getPool().query("SELECT 1"), 2000) };
  const status = Object.values(checks).every((check) => check.status === "ok") ? "ok" : "error";
  return { status, time: new Date().toISOString(), checks };
}
