-- The team's fetch policy (server/web/fetch-policy.ts): allow and deny lists for the fetch_url
-- tool, {"allow": [...], "deny": [...]} of host names, *.wildcards and CIDRs; null = none (only
-- public addresses, nothing denied). Read once per fetch, written by admins.

-- AlterTable
ALTER TABLE "Team" ADD COLUMN "fetchPolicy" JSONB;
