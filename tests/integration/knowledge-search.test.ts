import { beforeAll, describe, expect, it } from "vitest";
import type { Caller } from "@/server/auth/caller";
import { getDb } from "@/server/db/client";
import { replaceKnowledgeDocument as replaceDocumentRow } from "@/server/db/queries/knowledge";
import {
  createKnowledgeDocument,
  deleteKnowledgeDocument,
  getKnowledgeDocument,
  replaceKnowledgeDocument,
} from "@/server/knowledge/documents";
import { assertKnowledgeLanguageConfigured } from "@/server/knowledge/languages";
import { searchKnowledge, searchKnowledgeFor } from "@/server/knowledge/search";
import { createTeamWithMembers } from "../support/fixtures";

/**
 * Knowledge-base search on the real database: a small fixed corpus, queries whose right answer is
 * known, one team never seeing another's passages, and documents that are replaced or deleted
 * whole or not at all.
 */
const corpus = {
  lighthouses: {
    title: "Lighthouse keeping",
    text: `# Lighthouse keeping\n\nKeepers trimmed the wicks of the lamps every evening and wound the clockwork that turned the Fresnel lens.\n\nA Fresnel lens bends the light of a small lamp into a beam seen thirty miles out at sea. Automation in the twentieth century ended the keeper's trade.`,
  },
  sourdough: {
    title: "Baking sourdough bread",
    text: `A sourdough starter is flour and water fermented by wild yeast and lactic acid bacteria.\n\nFeed the starter daily. Bake the loaf in a hot Dutch oven; steam gives the crust its blisters.`,
  },
  tides: {
    title: "Tides and the moon",
    text: `Tides are caused by the gravity of the moon and the sun. Spring tides, the largest, come at new and full moon; neap tides at the quarter moons.\n\nHarbour masters publish tide tables a year ahead.`,
  },
  bees: {
    title: "Urban beekeeping",
    text: `Bees on city rooftops forage on lime trees and flowering balconies. A hive needs a water source and shelter from wind.\n\nHoney from city hives is often more varied than honey from farmland.`,
  },
  german: {
    title: "Leuchttürme an der Nordsee",
    text: `Die Leuchttürme an der Nordsee warnten Schiffe vor den Sandbänken. Die Wärter lebten mit ihren Familien auf den Inseln.`,
    language: "german",
  },
};

let team: Awaited<ReturnType<typeof createTeamWithMembers>>;
let other: Awaited<ReturnType<typeof createTeamWithMembers>>;
const ids: Record<string, string> = {};

beforeAll(async () => {
  team = await createTeamWithMembers();
  other = await createTeamWithMembers();
  for (const [name, document] of Object.entries(corpus)) {
    ids[name] = (await createKnowledgeDocument(team.callers.user, { json: document })).id;
  }
  // The other team's knowledge is about the same subjects: a leak would show up in every search.
  await createKnowledgeDocument(other.callers.user, {
    json: {
      title: "Other team's lighthouse notes",
      text: "Lighthouse keepers trimmed the wicks. Fresnel lens. Sourdough starter. Spring tides.",
    },
  });
});

const titlesFor = async (query: string, caller: Caller = team.callers.viewer) =>
  (await searchKnowledge(caller.teamId, query, { limit: 10 })).map((hit) => hit.documentTitle);

describe("ranking on a fixed corpus", () => {
  it.each([
    ["fresnel lens", "Lighthouse keeping"],
    ["how do I feed a sourdough starter", "Baking sourdough bread"],
    ["what causes spring tides", "Tides and the moon"],
    ["bees foraging on city rooftops", "Urban beekeeping"],
    ['"wild yeast"', "Baking sourdough bread"],
    ["keepers trimmed wicks", "Lighthouse keeping"],
  ])("%s → %s first", async (query, expected) => {
    const titles = await titlesFor(query);
    expect(titles[0]).toBe(expected);
  });

  it("a phrase matches its words in order only, however many passages hold them apart", async () => {
    await createKnowledgeDocument(team.callers.user, {
      json: { title: "Forest fungi", text: "The yeast on fallen fruit grows wild in the forest." },
    });
    const titles = await titlesFor('"wild yeast"');
    expect(titles).toEqual(["Baking sourdough bread"]);
    expect(await titlesFor("wild yeast")).toEqual(expect.arrayContaining(["Baking sourdough bread", "Forest fungi"]));
  });

  it("stems in the document's language: German words find the German document", async () => {
    expect((await titlesFor("Leuchtturm Wärter"))[0]).toBe("Leuchttürme an der Nordsee");
  });

  it("answers with the document, chunk and a bounded snippet marking the matches", async () => {
    const [hit] = await searchKnowledge(team.team.id, "Fresnel lens", { limit: 1 });
    expect(hit).toMatchObject({ documentId: ids.lighthouses, documentTitle: "Lighthouse keeping", chunkIndex: 0 });
    expect(hit!.snippet).toContain("<b>Fresnel</b>");
    expect(hit!.snippet.length).toBeLessThan(600);
    expect(hit!.score).toBeGreaterThan(0);
  });

  it("excluded words and limits are respected", async () => {
    expect(await titlesFor("moon -tides")).not.toContain("Tides and the moon");
    expect(await searchKnowledge(team.team.id, "the", { limit: 1 })).toEqual([]);
    expect(await searchKnowledge(team.team.id, "honey OR bread OR moon", { limit: 2 })).toHaveLength(2);
  });

  it.each(["", "   ", "the and of", "!!! ???", "\u0000", "\ud800", "-"])(
    "a query with no usable terms (%j) finds nothing, without an error",
    async (query) => {
      expect(await searchKnowledge(team.team.id, query)).toEqual([]);
    },
  );

  it("an aborted search rejects instead of answering", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(searchKnowledge(team.team.id, "lens", { signal: controller.signal })).rejects.toThrow();
  });
});

describe("team isolation", () => {
  it("never returns another team's passages", async () => {
    for (const query of ["lighthouse", "sourdough starter", "spring tides", "fresnel"]) {
      const hits = await searchKnowledge(team.team.id, query, { limit: 50 });
      expect(hits.map((hit) => hit.documentTitle)).not.toContain("Other team's lighthouse notes");
      const theirs = await searchKnowledge(other.team.id, query, { limit: 50 });
      expect(theirs.every((hit) => hit.documentTitle === "Other team's lighthouse notes")).toBe(true);
    }
  });

  it("another team's caller can neither read, replace, delete nor find a document", async () => {
    const outsider = other.callers.admin;
    await expect(getKnowledgeDocument(outsider, ids.tides!)).rejects.toMatchObject({ code: "not_found" });
    await expect(replaceKnowledgeDocument(outsider, ids.tides!, { json: { title: "x", text: "y" } })).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(deleteKnowledgeDocument(outsider, ids.tides!)).rejects.toMatchObject({ code: "not_found" });
    expect((await searchKnowledgeFor(outsider, { q: "neap tides" })).results.map((hit) => hit.documentId)).not.toContain(ids.tides);
    expect((await getKnowledgeDocument(team.callers.viewer, ids.tides!)).title).toBe("Tides and the moon");
  });

  it("viewers search but cannot change anything", async () => {
    await expect(createKnowledgeDocument(team.callers.viewer, { json: { title: "x", text: "y" } })).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(deleteKnowledgeDocument(team.callers.viewer, ids.tides!)).rejects.toMatchObject({ code: "forbidden" });
  });
});

describe("replace and delete are whole", () => {
  const chunkRows = (documentId: string) =>
    getDb().knowledgeChunk.findMany({ where: { documentId }, select: { index: true, text: true }, orderBy: { index: "asc" } });

  it("replacing swaps the text and every chunk under the same id; the old words are no longer found", async () => {
    const created = await createKnowledgeDocument(team.callers.user, {
      json: { title: "Semaphore", text: "Chappe's optical telegraph relayed messages between towers." },
    });
    const replaced = await replaceKnowledgeDocument(team.callers.user, created.id, {
      json: { title: "Semaphore, revised", text: `${"Flag semaphore uses two hand-held flags. ".repeat(60)}` },
    });
    expect(replaced.id).toBe(created.id);
    expect(replaced.chunkCount).toBeGreaterThan(1);
    expect((await chunkRows(created.id)).map((chunk) => chunk.index)).toEqual([...Array(replaced.chunkCount).keys()]);
    expect(await titlesFor("Chappe optical telegraph")).not.toContain("Semaphore, revised");
    expect((await titlesFor("hand-held flags"))[0]).toBe("Semaphore, revised");
  });

  it("a replace whose chunks fail to insert leaves the old version intact", async () => {
    const created = await createKnowledgeDocument(team.callers.user, {
      json: { title: "Morse code", text: "Samuel Morse's code spells letters in dots and dashes." },
    });
    const before = { document: await getKnowledgeDocument(team.callers.user, created.id), chunks: await chunkRows(created.id) };
    // A NUL byte is text Postgres refuses: the chunk insert fails after the row was updated and the old chunks deleted.
    await expect(
      replaceDocumentRow(team.team.id, created.id, {
        title: "Broken",
        fileName: null,
        contentType: "text/plain",
        sizeBytes: 10,
        sha256: "0".repeat(64),
        language: "english",
        text: "fine text",
        chunks: ["fine chunk", "broken \u0000 chunk"],
      }),
    ).rejects.toThrow();
    expect(await getKnowledgeDocument(team.callers.user, created.id)).toEqual(before.document);
    expect(await chunkRows(created.id)).toEqual(before.chunks);
    expect((await titlesFor("dots and dashes"))[0]).toBe("Morse code");
  });

  it("deleting a document deletes its chunks, and search no longer finds it", async () => {
    const created = await createKnowledgeDocument(team.callers.user, {
      json: { title: "Heliograph", text: "A heliograph flashes sunlight with a mirror to send Morse." },
    });
    expect(await chunkRows(created.id)).toHaveLength(1);
    await deleteKnowledgeDocument(team.callers.user, created.id);
    expect(await chunkRows(created.id)).toEqual([]);
    expect(await titlesFor("heliograph mirror sunlight")).not.toContain("Heliograph");
    await expect(deleteKnowledgeDocument(team.callers.user, created.id)).rejects.toMatchObject({ code: "not_found" });
  });

  it("a language the database does not have is a 400 naming the field", async () => {
    await expect(
      createKnowledgeDocument(team.callers.user, { json: { title: "x", text: "y", language: "klingon" } }),
    ).rejects.toMatchObject({ code: "bad_request", field: "language" });
  });
});

describe("the language setting", () => {
  it("start-up refuses a CHORUS_KNOWLEDGE_LANGUAGE the database has no configuration for, naming the variable", async () => {
    const previous = process.env.CHORUS_KNOWLEDGE_LANGUAGE;
    try {
      process.env.CHORUS_KNOWLEDGE_LANGUAGE = "klingon";
      await expect(assertKnowledgeLanguageConfigured()).rejects.toThrow(
        /CHORUS_KNOWLEDGE_LANGUAGE: "klingon" is not a text search configuration/,
      );
      process.env.CHORUS_KNOWLEDGE_LANGUAGE = "german";
      await expect(assertKnowledgeLanguageConfigured()).resolves.toBeUndefined();
      // Documents that name no language are indexed in the default: German stems find German words.
      const created = await createKnowledgeDocument(team.callers.user, {
        json: { title: "Segeln", text: "Die Segelboote fahren bei Sturm nicht." },
      });
      expect(created.language).toBe("german");
      expect((await titlesFor("Segelboot"))[0]).toBe("Segeln");
    } finally {
      process.env.CHORUS_KNOWLEDGE_LANGUAGE = previous;
    }
  });
});
