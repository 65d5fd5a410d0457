-- Rate limits (server/rate-limit): per-team overrides of the tiers' limits, and the Postgres
-- backend's sliding-window counters.

-- AlterTable
ALTER TABLE "Team" ADD COLUMN "rateLimits" JSONB;

-- CreateTable
-- UNLOGGED: a counter is rewritten on every check, and writing WAL (and flushing it at each
-- commit) for numbers that only matter for the next hour would cost more than the check itself.
-- After a crash Postgres empties the table, which forgets the counts: every identity starts a
-- fresh window. Unlogged tables are not copied to streaming replicas; only the primary, which
-- takes the writes, needs them. fillfactor leaves room on each page so the constant updates stay
-- HOT (no index is touched: only the primary key's column never changes).
CREATE UNLOGGED TABLE "RateLimitCounter" (
    "key" TEXT NOT NULL,
    "windowStart" BIGINT NOT NULL,
    "current" INTEGER NOT NULL,
    "previous" INTEGER NOT NULL,
    "granted" INTEGER NOT NULL,
    "expiresAt" BIGINT NOT NULL,

    CONSTRAINT "RateLimitCounter_pkey" PRIMARY KEY ("key")
) WITH (fillfactor = 70);
