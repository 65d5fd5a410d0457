-- The model circuit breakers' shared state (#20): one row per model link key (provider
-- configuration + model), written when a process opens or closes its breaker and read (cached
-- about a second) by every other process, so one bad provider is not rediscovered per process.
-- Not team-owned: the key names a provider configuration, which already belongs to one team or
-- to the instance ("env:…"), and no team data is held here.

-- CreateTable
CREATE TABLE "ModelBreaker" (
    "key" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "consecutiveFailures" INTEGER NOT NULL DEFAULT 0,
    "openedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ModelBreaker_pkey" PRIMARY KEY ("key")
);
