import type { TeamRateLimits } from "@/server/rate-limit";
import { RATE_LIMIT_TIERS, formatRateLimitRule } from "@/server/domain/rate-limit-rules";

/** What `chorus team limits` prints: each tier's limit and whether the team or the server's default sets it. */
const MEANING = { spend: "task create, rerun", write: "approve, reject, cancel, agents", read: "reads and streams" } as const;

export function rateLimitTable(limits: TeamRateLimits): string {
  const rows = [
    ["TIER", "LIMIT", "SET BY", "COUNTS"],
    ...RATE_LIMIT_TIERS.map((tier) => [
      tier,
      formatRateLimitRule(limits.rules[tier]),
      limits.overridden.includes(tier) ? "team" : "default",
      MEANING[tier],
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  "))
    .join("\n");
}
