import { getDb } from "@/server/db/client";
import { Prisma } from "@/server/db/generated/client";

/**
 * The team knowledge base: `KnowledgeDocument` rows and their `KnowledgeChunk`s, each chunk with a
 * `tsvector` of its text in the document's language (a Postgres text search configuration). Every
 * query takes the team and filters by it. A document is always written with all its chunks in
 * one transaction — on insert, on replace and on seeding — so a failure leaves either the old
 * version or nothing, never a half-indexed document. Deleting a document deletes its chunks (the
 * foreign key cascades). Raw statements are Prisma's `$queryRaw` tagged templates: parameters,
 * never SQL built from text.
 */

/** What a document row is written from (the service extracted, chunked and hashed it). */
export interface KnowledgeDocumentContent {
  title: string;
  fileName: string | null;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  language: string;
  text: string;
  chunks: string[];
}

/** What lists and the API show of a document (not its text). */
const summary = {
  id: true,
  title: true,
  fileName: true,
  contentType: true,
  sizeBytes: true,
  sha256: true,
  language: true,
  textLength: true,
  chunkCount: true,
  sample: true,
  createdById: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.KnowledgeDocumentSelect;

type Transaction = Prisma.TransactionClient;

function documentColumns(content: KnowledgeDocumentContent) {
  return {
    title: content.title,
    fileName: content.fileName,
    contentType: content.contentType,
    sizeBytes: content.sizeBytes,
    sha256: content.sha256,
    language: content.language,
    text: content.text,
    textLength: content.text.length,
    chunkCount: content.chunks.length,
  };
}

/** All of a document's chunks in one statement, each indexed with the document's language. */
async function insertChunks(tx: Transaction, teamId: string, documentId: string, language: string, chunks: string[]) {
  if (chunks.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO "KnowledgeChunk" ("teamId", "documentId", "index", "text", "tsv")
    SELECT ${teamId}, ${documentId}, (c.ordinality - 1)::int, c.text, to_tsvector(${language}::regconfig, c.text)
    FROM unnest(${chunks}::text[]) WITH ORDINALITY AS c(text, ordinality)`;
}

/** Stores a document and all its chunks, atomically. */
export async function insertKnowledgeDocument(
  teamId: string,
  content: KnowledgeDocumentContent,
  options: { createdById?: string | null; sample?: boolean } = {},
) {
  return getDb().$transaction(async (tx) => {
    const document = await tx.knowledgeDocument.create({
      data: { ...documentColumns(content), teamId, createdById: options.createdById ?? null, sample: options.sample ?? false },
      select: summary,
    });
    await insertChunks(tx, teamId, document.id, content.language, content.chunks);
    return document;
  });
}

/**
 * Gives the team's document new content under the same id, chunks swapped in the same
 * transaction (readers see the old version until it commits); null when the team has no such
 * document. A replaced sample document is the team's own from then on.
 */
export async function replaceKnowledgeDocument(teamId: string, id: string, content: KnowledgeDocumentContent) {
  return getDb().$transaction(async (tx) => {
    // The update locks the row, so two replaces of one document run one after the other.
    const updated = await tx.knowledgeDocument.updateManyAndReturn({
      where: { id, teamId },
      data: { ...documentColumns(content), sample: false },
      select: summary,
    });
    const document = updated[0];
    if (!document) return null;
    await tx.knowledgeChunk.deleteMany({ where: { documentId: id, teamId } });
    await insertChunks(tx, teamId, id, content.language, content.chunks);
    return document;
  });
}

/** Deletes the team's document (its chunks go with it); false when it has none. */
export async function deleteKnowledgeDocument(teamId: string, id: string): Promise<boolean> {
  const deleted = await getDb().knowledgeDocument.deleteMany({ where: { id, teamId } });
  return deleted.count > 0;
}

/** A page of the team's documents, newest first, and how many it has in all. */
export async function listKnowledgeDocuments(teamId: string, page: { limit: number; offset: number }) {
  const db = getDb();
  const [documents, total] = await Promise.all([
    db.knowledgeDocument.findMany({
      where: { teamId },
      select: summary,
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: page.limit,
      skip: page.offset,
    }),
    db.knowledgeDocument.count({ where: { teamId } }),
  ]);
  return { documents, total };
}

/** The team's document with its text, and its chunks when asked for; null when it has none. */
export async function findKnowledgeDocument(teamId: string, id: string, options: { chunks: boolean }) {
  return getDb().knowledgeDocument.findFirst({
    where: { id, teamId },
    select: {
      ...summary,
      text: true,
      ...(options.chunks ? { chunks: { select: { index: true, text: true }, orderBy: { index: "asc" } } } : {}),
    },
  });
}

export interface KnowledgeHit {
  documentId: string;
  documentTitle: string;
  chunkIndex: number;
  snippet: string;
  score: number;
}

/**
 * The team's chunks that match `text`, best first. The query is parsed with
 * `websearch_to_tsquery` once per language the team's documents use, and each chunk is matched
 * and ranked with the parse in its document's language, so a German document is matched by
 * German stems and an English one by English stems. (The parses OR-ed together are what the GIN
 * index is searched with; the own-language parse then decides, so `-word` excludes correctly.) Chunks are
 * ranked with `ts_rank_cd` (cover density: query terms close together count more), plus up to
 * `titleBoost` when the query resembles the document's title (pg_trgm word similarity); only the
 * `limit` best get a `ts_headline` snippet, which is the expensive part. At most `maxCandidates`
 * matching chunks (the first the index yields) are ranked: ranking costs per match, and a query
 * word found in a large share of the chunks would otherwise cost in proportion to the corpus.
 * With `relaxPhrases`, candidates are the chunks holding a phrase's words anywhere (which the GIN
 * index answers exactly) and the phrase is checked on those only: the index cannot check word
 * positions, so otherwise every chunk holding the words is read and rechecked before the cap. A query with no usable
 * terms (only stop words or punctuation) matches nothing.
 */
export async function searchKnowledgeChunks(
  teamId: string,
  text: string,
  options: { limit: number; titleBoost: number; snippetWords: number; maxCandidates: number; relaxPhrases: boolean },
): Promise<KnowledgeHit[]> {
  const headlineOptions = `MaxWords=${options.snippetWords}, MinWords=${Math.ceil(options.snippetWords / 2)}, MaxFragments=2, FragmentDelimiter=" … "`;
  const rows = await getDb().$queryRaw<Array<KnowledgeHit & { score: number }>>`
    WITH parsed AS MATERIALIZED (
      SELECT l.language, websearch_to_tsquery(l.language::regconfig, ${text}) AS query
      FROM (SELECT DISTINCT language FROM "KnowledgeDocument" WHERE "teamId" = ${teamId}) l
    ),
    usable AS MATERIALIZED (SELECT language, query FROM parsed WHERE numnode(query) > 0),
    combined AS MATERIALIZED (
      SELECT CASE WHEN ${options.relaxPhrases} THEN regexp_replace(q::text, '<(-|[0-9]+)>', '&', 'g')::tsquery ELSE q END AS query
      FROM (SELECT string_agg('(' || query::text || ')', ' | ')::tsquery AS q FROM usable) joined
    ),
    candidates AS MATERIALIZED (
      SELECT c."documentId", c."index", c.tsv
      FROM "KnowledgeChunk" c
      WHERE c."teamId" = ${teamId} AND c.tsv @@ (SELECT query FROM combined)
      LIMIT ${options.maxCandidates}
    ),
    ranked AS (
      SELECT c."documentId", c."index", d.title, d.language, u.query,
             ts_rank_cd(c.tsv, u.query)
               + CASE WHEN ${text} <% d.title THEN ${options.titleBoost}::float8 * word_similarity(${text}, d.title) ELSE 0 END AS score
      FROM candidates c
      JOIN "KnowledgeDocument" d ON d.id = c."documentId" AND d."teamId" = ${teamId}
      JOIN usable u ON u.language = d.language
      WHERE c.tsv @@ u.query
      ORDER BY score DESC, c."documentId", c."index"
      LIMIT ${options.limit}
    )
    SELECT r."documentId", r.title AS "documentTitle", r."index" AS "chunkIndex", r.score::float8 AS score,
           ts_headline(r.language::regconfig, k.text, r.query, ${headlineOptions}) AS snippet
    FROM ranked r
    JOIN "KnowledgeChunk" k ON k."documentId" = r."documentId" AND k."index" = r."index" AND k."teamId" = ${teamId}
    ORDER BY r.score DESC, r."documentId", r."index"`;
  return rows.map((row) => ({ ...row, score: Number(row.score) }));
}

/** The text search configurations this database has (pg_catalog.pg_ts_config): the languages a document may name. */
export async function listTextSearchConfigurations(): Promise<string[]> {
  const rows = await getDb().$queryRaw<Array<{ name: string }>>`SELECT cfgname::text AS name FROM pg_catalog.pg_ts_config ORDER BY cfgname`;
  return rows.map((row) => row.name);
}

/**
 * Seeds the team's sample documents, once: the team is marked in the same transaction, and a team
 * already marked (seeded before, whatever became of the documents since) gets nothing. False when
 * it had been seeded.
 */
export async function insertSampleKnowledgeOnce(teamId: string, documents: KnowledgeDocumentContent[]): Promise<boolean> {
  return getDb().$transaction(async (tx) => {
    const claimed = await tx.team.updateMany({
      where: { id: teamId, knowledgeSampleSeededAt: null },
      data: { knowledgeSampleSeededAt: new Date() },
    });
    if (claimed.count === 0) return false;
    for (const content of documents) {
      const document = await tx.knowledgeDocument.create({
        data: { ...documentColumns(content), teamId, sample: true },
        select: { id: true },
      });
      await insertChunks(tx, teamId, document.id, content.language, content.chunks);
    }
    return true;
  });
}
