import { z } from "zod";
import { defineTool } from "@/server/agents/tools/tool-spec";
import { fetchReadablePage } from "@/server/web/fetch-page";
import { getFetchPolicy } from "@/server/web/fetch-policy";
import { FetchFailedError, FetchRefusedError } from "@/server/web/guarded-fetch";
import { cutText } from "@/server/text/cut-text";

/**
 * `fetch_url`: reads a public web page (or PDF) as text for an agent, through the guarded fetch
 * (server/web): private, internal and cloud-metadata addresses are refused after DNS on every
 * redirect hop, with the connection pinned to the checked address, and the team's allow and deny
 * lists apply. What the page says is untrusted data: the runner labels it so.
 */

/** A page is cut to this for the model (the fetch itself stops at 2 MB). */
const MAX_PAGE_CHARACTERS = 12_000;

export const fetchUrlTool = defineTool({
  name: "fetch_url",
  description:
    "Fetch a public web page or PDF by its http(s) URL and get its readable text (title and main content). Use it for pages the task links to or a search found. Internal and private addresses are refused.",
  inputSchema: z.object({
    url: z
      .string()
      .trim()
      .min(1, "url must not be empty")
      .max(2048, "url must be at most 2048 characters")
      .describe("the http(s) address to read"),
  }),
  // The fetch has its own 10 s deadline; this covers reading the page into text as well.
  timeoutMs: 20_000,
  // A GET read: repeating it after a timeout or a 5xx is harmless.
  retries: 1,
  untrustedOutput: true,
  async run({ url }, call) {
    const page = await fetchReadablePage(url, { policy: await getFetchPolicy(call.teamId), signal: call.signal });
    const cut = page.text.length > MAX_PAGE_CHARACTERS;
    const text = cut
      ? `${cutText(page.text, MAX_PAGE_CHARACTERS)}\n[… ${page.text.length - MAX_PAGE_CHARACTERS} more characters not shown]`
      : page.text;
    const title = page.title || page.finalUrl;
    return {
      result: { url: page.finalUrl, title, text, ...(cut || page.truncated ? { truncated: true } : {}) },
      excerpt: `${title}\n${cutText(page.text.replace(/\s+/g, " "), 300)}`,
      sources: [{ title, url: page.finalUrl }],
    };
  },
  classifyError(error) {
    if (error instanceof FetchRefusedError) return { kind: "refused", message: error.message };
    if (error instanceof FetchFailedError) return { kind: error.retryable ? "retryable" : "failed", message: error.message };
    return { kind: "failed", message: "The page could not be fetched" };
  },
});
