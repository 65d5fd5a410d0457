import { describe, expect, it } from "vitest";
import { toolNeedsApproval } from "@/server/mcp/tool-approval";
import { modelSafeToolName } from "@/server/mcp/tool-names";
import { flattenToolResult, MAX_RESULT_CHARS } from "@/server/mcp/tool-results";

/** The pure decisions behind an agent's MCP tools: names a model accepts, approval, and what a result reads as. */
describe("MCP tool names", () => {
  it("are mcp_<server>_<tool>, model-safe, within 64 characters and unique", () => {
    const taken = new Set<string>();
    expect(modelSafeToolName("notes", "read_notes", taken)).toBe("mcp_notes_read_notes");
    const dotted = modelSafeToolName("notes", "files.read/all", taken);
    expect(dotted).toBe("mcp_notes_files_read_all");
    // Another tool that only differs in a replaced character still gets a name of its own.
    const clash = modelSafeToolName("notes", "files_read_all", taken);
    expect(clash).not.toBe(dotted);
    const long = modelSafeToolName("a-very-long-server-name1", "x".repeat(100), taken);
    const otherLong = modelSafeToolName("a-very-long-server-name1", `${"x".repeat(99)}y`, taken);
    expect(long).not.toBe(otherLong);
    for (const name of [dotted, clash, long, otherLong, modelSafeToolName("n", "日本語 tool", taken)])
      expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(taken.size).toBe(6);
  });
});

describe("whether a call needs approval", () => {
  it("follows the admin's override, else a destructive and not read-only annotation", () => {
    expect(toolNeedsApproval({ destructiveHint: true }, undefined)).toBe(true);
    expect(toolNeedsApproval({ destructiveHint: true, readOnlyHint: true }, undefined)).toBe(false);
    expect(toolNeedsApproval({ readOnlyHint: true }, undefined)).toBe(false);
    expect(toolNeedsApproval({}, undefined)).toBe(false);
    expect(toolNeedsApproval({ readOnlyHint: true }, { requiresApproval: true })).toBe(true);
    expect(toolNeedsApproval({ destructiveHint: true }, { requiresApproval: false })).toBe(false);
    expect(toolNeedsApproval({ destructiveHint: true }, { requiresApproval: null })).toBe(true);
  });
});

describe("a tool result as text", () => {
  it("keeps text, notes what is not text, falls back to structured content, and caps the length", () => {
    expect(
      flattenToolResult({
        content: [
          { type: "text", text: "first" },
          { type: "image", data: "AAAA", mimeType: "image/png" },
          { type: "resource", resource: { uri: "file:///a.txt", text: "inside" } },
          { type: "resource", resource: { uri: "file:///b.bin", blob: "AAAA", mimeType: "application/octet-stream" } },
          { type: "resource_link", uri: "https://example.com/doc", name: "doc" },
        ],
      }),
    ).toBe(
      "first\n\n[image (image/png), not shown]\n\ninside\n\n[resource file:///b.bin (application/octet-stream), not text]\n\n[link: doc https://example.com/doc]",
    );
    expect(flattenToolResult({ content: [], structuredContent: { count: 2 } })).toBe('{"count":2}');
    const capped = flattenToolResult({ content: [{ type: "text", text: "😀".repeat(MAX_RESULT_CHARS) }] });
    expect(capped).toMatch(/\n\[… \d+ more characters cut\]$/);
    expect(capped.length).toBeLessThan(MAX_RESULT_CHARS + 60);
    // Never half a character.
    expect(capped.replace(/\n\[….*$/, "")).toMatch(/^(😀)+$/u);
  });
});
