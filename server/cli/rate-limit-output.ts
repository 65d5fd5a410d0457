import type { TeamRateLimits } from "@/server/rate-limit";
import { RATE_LIMIT_TIERS, formatRateLimitRule } from "@/server/domain/rate-limit-rules";
import { alignedTable } from "@/server/cli/aligned-table";

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
  return alignedTable(rows);
}
