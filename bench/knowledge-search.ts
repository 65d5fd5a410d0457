/**
 * Benchmark — the team knowledge base: indexing throughput and search latency at 10,000 and
 * 100,000 chunks (issue #19's target: search p95 grows less than 2× for 10× the chunks).
 *
 * Chunks are generated text of realistic length (≈ 1 KB) and vocabulary: words drawn from a
 * Zipf-like distribution (rank r has weight 1/r^1.07) over 30,000 made-up words, mixed with
 * English stop words as real prose is, so a query word's selectivity depends on its rank as it
 * would in a real corpus. Chunks are stored through the knowledge base's own insert (one
 * transaction per 50-chunk document: the row, then all its chunks with their tsvectors), and
 * searched through `searchKnowledge` exactly as the search_knowledge tool calls it (limit 10,
 * snippets included). Each query of a fixed set runs REPEAT times after a warm-up; p50/p95 are
 * over all those calls. Each is also run with every match ranked (no candidate cap,
 * MAX_RANKED_CANDIDATES in server/knowledge/search.ts), to show what the cap saves and how much
 * of the top 10 it changes. `VACUUM ANALYZE` runs after each indexing phase, as autovacuum would
 * (it also merges the GIN index's pending list).
 *
 *   bash bench/run.sh knowledge     (or: node_modules/.bin/tsx --tsconfig tsconfig.json --import ./bin/server-only-outside-next.mjs bench/knowledge-search.ts)
 *   env: BENCH_KNOWLEDGE_SIZES (default "10000,100000"), BENCH_KNOWLEDGE_REPEAT (default 20)
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../server/db/embedded";
import { migrate } from "../server/db/migrate";
import { REPO_ROOT } from "./lib/paths";
import { machine, printJson, printTable, quantile, round } from "./lib/report";

const SIZES = (process.env.BENCH_KNOWLEDGE_SIZES ?? "10000,100000").split(",").map(Number);
const REPEAT = Number(process.env.BENCH_KNOWLEDGE_REPEAT ?? 20);
const CHUNKS_PER_DOCUMENT = 50;
const CHUNK_CHARS = 1000;
const VOCABULARY = 30_000;
const ZIPF_EXPONENT = 1.07;
const STOP_WORD_SHARE = 0.4;

/** mulberry32: a seeded generator, so every run indexes the same corpus and asks the same queries. */
function seeded(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seeded(20261207);

/** Made-up but pronounceable words (no English stems, so the stemmer keeps them apart). */
const SYLLABLES = [
  "ka",
  "lo",
  "mi",
  "ter",
  "van",
  "sul",
  "dro",
  "pe",
  "nix",
  "bra",
  "quo",
  "zel",
  "fu",
  "gar",
  "hin",
  "jo",
  "ru",
  "sta",
  "wen",
  "yor",
];
const words: string[] = [];
const seen = new Set<string>();
while (words.length < VOCABULARY) {
  const length = 2 + Math.floor(random() * 3);
  let word = "";
  for (let index = 0; index < length; index++) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
  if (!seen.has(word)) {
    seen.add(word);
    words.push(word);
  }
}
const STOP_WORDS = ["the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "on", "by", "at", "from", "this"];

/** Cumulative Zipf weights, sampled by binary search. */
const cumulative: number[] = [];
let total = 0;
for (let rank = 1; rank <= VOCABULARY; rank++) cumulative.push((total += 1 / rank ** ZIPF_EXPONENT));
function zipfWord(): string {
  const target = random() * total;
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (cumulative[middle]! < target) low = middle + 1;
    else high = middle;
  }
  return words[low]!;
}

function chunk(): string {
  const sentences: string[] = [];
  let length = 0;
  while (length < CHUNK_CHARS - 60) {
    const count = 8 + Math.floor(random() * 13);
    const sentence: string[] = [];
    for (let index = 0; index < count; index++)
      sentence.push(random() < STOP_WORD_SHARE ? STOP_WORDS[Math.floor(random() * STOP_WORDS.length)]! : zipfWord());
    const text = `${sentence.join(" ")}.`;
    sentences.push(text[0]!.toUpperCase() + text.slice(1));
    length += text.length + 1;
  }
  return sentences.join(" ");
}

/** The fixed queries: words by frequency rank (1 = most common), alone, together, as a phrase, with an exclusion. */
const QUERIES: Array<{ kind: string; text: string }> = [
  ...[30, 60].map((rank) => ({ kind: "common word", text: words[rank - 1]! })),
  ...[200, 400, 800].map((rank) => ({ kind: "mid word", text: words[rank - 1]! })),
  ...[2000, 5000, 12000].map((rank) => ({ kind: "rare word", text: words[rank - 1]! })),
  ...[
    [50, 300],
    [120, 900],
    [700, 3000],
  ].map(([a, b]) => ({ kind: "two words", text: `${words[a! - 1]} ${words[b! - 1]}` })),
  { kind: "phrase", text: `"${words[9]} ${words[19]}"` },
  { kind: "exclusion", text: `${words[299]} -${words[4]}` },
  { kind: "question", text: `what is the ${words[149]} of ${words[1499]}` },
];

const dataDir = await mkdtemp(path.join(os.tmpdir(), "chorus-bench-kb-"));
await chmod(dataDir, 0o755);
const postgres = await startEmbeddedPostgres({ dataDir, ownsCluster: true });
await migrate(postgres.url, path.join(REPO_ROOT, "prisma", "migrations"));
process.env.DATABASE_URL = postgres.url;
const { closeDb, query } = await import("../server/db/client");
const { insertKnowledgeDocument, searchKnowledgeChunks } = await import("../server/db/queries/knowledge");
const { searchKnowledge, MAX_RANKED_CANDIDATES } = await import("../server/knowledge/search");
/** The same search with every match ranked: what the candidate cap saves, and what it changes (overlap of the top 10). */
const searchUncapped = (teamId: string, text: string) =>
  searchKnowledgeChunks(teamId, text, { limit: 10, titleBoost: 0.1, snippetWords: 30, maxCandidates: 1_000_000_000, relaxPhrases: false });

interface SizeResult {
  chunks: number;
  indexedChunksPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  uncappedP50Ms: number;
  uncappedP95Ms: number;
  perQuery: Array<{
    kind: string;
    text: string;
    matches: number;
    p50Ms: number;
    p95Ms: number;
    uncappedP95Ms: number;
    top10Overlap: number;
  }>;
}

try {
  const { rows } = await query<{ id: string }>(
    `INSERT INTO "Team" (id, slug, name) VALUES ('bench-team', 'bench', 'Bench') RETURNING id`,
    [],
  );
  const teamId = rows[0]!.id;
  // Another team's chunks share the table, as on a real server: searches must filter them out.
  await query(`INSERT INTO "Team" (id, slug, name) VALUES ('other-team', 'other', 'Other')`, []);
  const results: SizeResult[] = [];
  let indexed = 0;
  let documentNumber = 0;
  for (const size of SIZES) {
    const started = performance.now();
    let added = 0;
    while (indexed < size) {
      const chunks = Array.from({ length: Math.min(CHUNKS_PER_DOCUMENT, size - indexed) }, chunk);
      const text = chunks.join("\n\n");
      await insertKnowledgeDocument(documentNumber % 10 === 9 ? "other-team" : teamId, {
        title: `Generated document ${++documentNumber} ${words[Math.floor(random() * 500)]}`,
        fileName: null,
        contentType: "text/plain",
        sizeBytes: Buffer.byteLength(text),
        sha256: "0".repeat(64),
        language: "english",
        text,
        chunks,
      });
      indexed += chunks.length;
      added += chunks.length;
    }
    const indexingSeconds = (performance.now() - started) / 1000;
    await query(`VACUUM ANALYZE "KnowledgeChunk"`, []);
    await query(`VACUUM ANALYZE "KnowledgeDocument"`, []);

    for (const { text } of QUERIES) await searchKnowledge(teamId, text, { limit: 10 }); // warm-up
    const all: number[] = [];
    const allUncapped: number[] = [];
    const perQuery: SizeResult["perQuery"] = [];
    for (const { kind, text } of QUERIES) {
      const times: number[] = [];
      const uncappedTimes: number[] = [];
      let capped: Array<{ documentId: string; chunkIndex: number }> = [];
      let uncapped: typeof capped = [];
      for (let index = 0; index < REPEAT; index++) {
        const t0 = performance.now();
        capped = await searchKnowledge(teamId, text, { limit: 10 });
        times.push(performance.now() - t0);
        const t1 = performance.now();
        uncapped = await searchUncapped(teamId, text);
        uncappedTimes.push(performance.now() - t1);
      }
      const key = (hit: { documentId: string; chunkIndex: number }) => `${hit.documentId}/${hit.chunkIndex}`;
      const best = new Set(uncapped.map(key));
      const top10Overlap = uncapped.length === 0 ? 1 : capped.filter((hit) => best.has(key(hit))).length / uncapped.length;
      const { rows: counted } = await query<{ matches: number }>(
        `SELECT count(*)::int AS matches FROM "KnowledgeChunk" WHERE "teamId" = $1 AND tsv @@ websearch_to_tsquery('english', $2)`,
        [teamId, text],
      );
      perQuery.push({
        kind,
        text,
        matches: counted[0]!.matches,
        p50Ms: quantile(times, 0.5),
        p95Ms: quantile(times, 0.95),
        uncappedP95Ms: quantile(uncappedTimes, 0.95),
        top10Overlap,
      });
      all.push(...times);
      allUncapped.push(...uncappedTimes);
    }
    results.push({
      chunks: size,
      indexedChunksPerSecond: added / indexingSeconds,
      p50Ms: quantile(all, 0.5),
      p95Ms: quantile(all, 0.95),
      uncappedP50Ms: quantile(allUncapped, 0.5),
      uncappedP95Ms: quantile(allUncapped, 0.95),
      perQuery,
    });
    console.log(`indexed ${size} chunks (${added} in ${round(indexingSeconds, 1)} s); searched ${all.length} times`);
  }

  printTable(
    "Knowledge-base search (limit 10, with snippets); chunks of the searched team (≈ 1/10 more belong to another team)",
    ["chunks", "indexing (chunks/s)", "search p50 (ms)", "search p95 (ms)", "all matches ranked: p50", "p95"],
    results.map((result) => [
      result.chunks,
      Math.round(result.indexedChunksPerSecond),
      round(result.p50Ms),
      round(result.p95Ms),
      round(result.uncappedP50Ms),
      round(result.uncappedP95Ms),
    ]),
  );
  printTable(
    "Per query: matching chunks and latency at each size",
    [
      "query",
      "kind",
      ...results.flatMap((result) => [`matches @${result.chunks}`, `p50 ms`, `p95 ms`, `p95 ms, all ranked`, `top-10 same as all ranked`]),
    ],
    QUERIES.map((q, index) => [
      q.text,
      q.kind,
      ...results.flatMap((result) => {
        const entry = result.perQuery[index]!;
        return [
          entry.matches,
          round(entry.p50Ms),
          round(entry.p95Ms),
          round(entry.uncappedP95Ms),
          `${Math.round(entry.top10Overlap * 100)}%`,
        ];
      }),
    ]),
  );
  const first = results[0]!;
  const last = results.at(-1)!;
  if (results.length > 1) {
    console.log(
      `${last.chunks}/${first.chunks} chunks: search p50 × ${round(last.p50Ms / first.p50Ms)}, p95 × ${round(last.p95Ms / first.p95Ms)} (target p95 < 2×; ranking at most ${MAX_RANKED_CANDIDATES} matches); with every match ranked p95 × ${round(last.uncappedP95Ms / first.uncappedP95Ms)}; indexing × ${round(last.indexedChunksPerSecond / first.indexedChunksPerSecond)}`,
    );
  }
  printJson({
    benchmark: "knowledge-search",
    machine: machine(),
    repeat: REPEAT,
    maxRankedCandidates: MAX_RANKED_CANDIDATES,
    sizes: results.map((result) => ({
      chunks: result.chunks,
      indexedChunksPerSecond: round(result.indexedChunksPerSecond, 0),
      p50Ms: round(result.p50Ms),
      p95Ms: round(result.p95Ms),
      uncappedP50Ms: round(result.uncappedP50Ms),
      uncappedP95Ms: round(result.uncappedP95Ms),
      perQuery: result.perQuery.map((entry) => ({
        ...entry,
        p50Ms: round(entry.p50Ms),
        p95Ms: round(entry.p95Ms),
        uncappedP95Ms: round(entry.uncappedP95Ms),
        top10Overlap: round(entry.top10Overlap),
      })),
    })),
    p95Ratio: results.length > 1 ? round(last.p95Ms / first.p95Ms) : null,
  });
} finally {
  await closeDb();
  await postgres.stop();
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(0);
