-- Which OpenAI wire API a provider is called through (issue #20, docs/models.md): Chat Completions,
-- what every OpenAI-compatible server speaks and what every existing provider used, or OpenAI's
-- Responses API. Existing rows keep Chat Completions.

-- CreateEnum
CREATE TYPE "ModelProviderApi" AS ENUM ('chat_completions', 'responses');

-- AlterTable
ALTER TABLE "ModelProvider" ADD COLUMN "api" "ModelProviderApi" NOT NULL DEFAULT 'chat_completions';
