import { getPool } from "@/server/db/client";

export interface HealthReport {
  status: "ok" | "error";
  time: string;
  checks: Record<string, { status: "ok" | "error"; latencyMs?: number; message?: string }>;
}

async function timed(check: () => Promise<unknown>, timeoutMs: number) {
  const started = performance.now();
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    return { status: "ok" as const, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    return { status: "error" as const, message: error instanceof Error ? error.message : "failed" };
  }
}

export async function checkHealth(): Promise<HealthReport> {
  const checks = { database: await timed(() => getPool().query("SELECT 1"), 2000) };
  const status = Object.values(checks).every((check) => check.status === "ok") ? "ok" : "error";
  return { status, time: new Date().toISOString(), checks };
}
