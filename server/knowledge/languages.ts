import { listTextSearchConfigurations } from "@/server/db/queries/knowledge";
import { ConfigError, getEnv } from "@/server/env";
import { AppError } from "@/server/errors";

/**
 * Which language a document is indexed and searched in: a Postgres text search configuration
 * (`english`, `german`, `simple`, … — whatever pg_catalog.pg_ts_config holds), because stemming
 * and stop words are per language. The server's default is CHORUS_KNOWLEDGE_LANGUAGE, checked
 * against the database at start; a document may name another. The list is read once per
 * process: configurations are added by an administrator with DDL, not by users.
 */
let configurations: Promise<string[]> | undefined;

export function knowledgeLanguages(): Promise<string[]> {
  configurations ??= listTextSearchConfigurations().catch((error: unknown) => {
    configurations = undefined;
    throw error;
  });
  return configurations;
}

/** The configuration a document is indexed with: the one asked for (if the database has it) or the server's default. */
export async function resolveKnowledgeLanguage(requested: string | undefined): Promise<string> {
  const language = requested ?? getEnv().CHORUS_KNOWLEDGE_LANGUAGE;
  const known = await knowledgeLanguages();
  if (!known.includes(language)) {
    throw new AppError(
      "bad_request",
      `language must be one of this database's text search configurations: ${known.join(", ")}`,
      "language",
    );
  }
  return language;
}

/** Stops start-up, naming the variable, when CHORUS_KNOWLEDGE_LANGUAGE is not a configuration of the database. */
export async function assertKnowledgeLanguageConfigured(): Promise<void> {
  const language = getEnv().CHORUS_KNOWLEDGE_LANGUAGE;
  const known = await knowledgeLanguages();
  if (!known.includes(language)) {
    throw new ConfigError([
      `CHORUS_KNOWLEDGE_LANGUAGE: "${language}" is not a text search configuration of the database (${known.join(", ")})`,
    ]);
  }
}
