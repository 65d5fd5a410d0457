import { describe, expect, it } from "vitest";
import { AppError } from "@/server/errors";
import type { ChatMessage } from "@/server/openai-compat/chat-completion-input";
import { CONTEXT_HEADING, conversationPrompt } from "@/server/openai-compat/conversation-prompt";
import { contentPieces } from "@/server/openai-compat/content-pieces";

/** How an OpenAI-style conversation becomes a task prompt, and how an answer is cut into stream pieces. */
const user = (content: ChatMessage["content"]): ChatMessage => ({ role: "user", content });

function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("conversationPrompt", () => {
  it("is the request alone when there is nothing else", () => {
    expect(conversationPrompt([user("  Compare two lighthouses.  ")], 1000)).toBe("Compare two lighthouses.");
  });

  it("puts the request first, then the system prompt, then earlier turns oldest first", () => {
    const prompt = conversationPrompt(
      [
        { role: "system", content: "Answer in French." },
        user("Hello"),
        { role: "assistant", content: [{ type: "text", text: "Bonjour" }] },
        { role: "developer", content: "Be brief." },
        user([
          { type: "text", text: "Now compare" },
          { type: "text", text: "two lighthouses." },
        ]),
      ],
      1000,
    );
    expect(prompt).toBe(
      [
        "Now compare\ntwo lighthouses.",
        "",
        "---",
        CONTEXT_HEADING,
        "",
        "Instructions from the conversation's system prompt:",
        "Answer in French.\n\nBe brief.",
        "",
        "Earlier messages, oldest first:",
        "User: Hello\n\nAssistant: Bonjour",
      ].join("\n"),
    );
  });

  it("drops the oldest turns first, then cuts the instructions, to fit; never the request", () => {
    const turns: ChatMessage[] = [
      { role: "system", content: "S".repeat(100) },
      user("old ".repeat(50)),
      { role: "assistant", content: "recent answer" },
      user("the request"),
    ];
    const withRecent = conversationPrompt(turns, 300);
    expect(withRecent.startsWith("the request")).toBe(true);
    expect(withRecent).toContain("Assistant: recent answer");
    expect(withRecent).not.toContain("old old");
    expect(withRecent.length).toBeLessThanOrEqual(300);

    const cut = conversationPrompt(turns, 150);
    expect(cut.length).toBeLessThanOrEqual(150);
    expect(cut).not.toContain("recent answer");
    expect(cut).toMatch(/S+…$/);
  });

  it("refuses a conversation that does not end with the user's non-empty text, naming where", () => {
    expect(refusal(() => conversationPrompt([user("hi"), { role: "assistant", content: "hello" }], 100)).field).toBe("messages");
    expect(refusal(() => conversationPrompt([user(null)], 100)).field).toBe("messages.0.content");
    expect(refusal(() => conversationPrompt([user("x".repeat(101))], 100)).field).toBe("messages.0.content");
    const image = refusal(() => conversationPrompt([user([{ type: "text", text: "see" }, { type: "image_url" }])], 100));
    expect(image).toMatchObject({ code: "bad_request", field: "messages.0.content.1.type" });
  });
});

describe("contentPieces", () => {
  it("cuts only after whitespace, into pieces that join back to exactly the answer", () => {
    const answer = "# Title\n\nOne two  three\tfour 🌊 five\n- six\n\n## Sources\n1. [x](https://example.com)\n";
    const pieces = contentPieces(answer, 3);
    expect(pieces.join("")).toBe(answer);
    expect(pieces.length).toBeGreaterThan(3);
    for (const piece of pieces.slice(0, -1)) expect(piece).toMatch(/\s$/);
    expect(contentPieces("")).toEqual([]);
  });
});
