-- API keys that expire (issue #17): a key is refused from "expiresAt" on; NULL, as every
-- existing key gets, means it lasts until it is revoked. Nullable with no default, so adding it
-- rewrites no rows.

-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN "expiresAt" TIMESTAMP(3);
