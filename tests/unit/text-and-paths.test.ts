import { describe, expect, it } from "vitest";
import { cutText, cutTextWithEllipsis, hasLoneSurrogate } from "@/server/text/cut-text";
import { safeNextPath, signInPath } from "@/server/auth/next-path";

describe("cutting text", () => {
  it("never splits a surrogate pair", () => {
    expect(cutText(`${"a".repeat(199)}😀`, 200)).toBe("a".repeat(199));
    expect(cutText("😀😀", 3)).toBe("😀");
    expect(cutText("😀", 1)).toBe("");
    expect(cutText("short", 200)).toBe("short");
    expect(cutTextWithEllipsis(`${"b".repeat(118)}😀😀`, 120)).toBe(`${"b".repeat(118)}…`);
    for (let length = 0; length <= 12; length++) expect(hasLoneSurrogate(cutText("x🚀🚀🚀🚀🚀🚀", length))).toBe(false);
  });

  it("finds lone surrogates and accepts pairs", () => {
    expect(hasLoneSurrogate("😀 fine")).toBe(false);
    expect(hasLoneSurrogate("\ud83d")).toBe(true);
    expect(hasLoneSurrogate("a\ude00b")).toBe(true);
    expect(hasLoneSurrogate("\ude00\ud83d")).toBe(true);
  });
});

describe("where sign-in leads", () => {
  it("follows a path on this origin, query and hash included", () => {
    expect(safeNextPath("/tasks/abc?tab=plan#result")).toBe("/tasks/abc?tab=plan#result");
    expect(safeNextPath("/tasks")).toBe("/tasks");
  });

  it("refuses every way of naming another host", () => {
    for (const next of [
      "/\\evil.example/x",
      "/\t/evil.example/x",
      "/\n/evil.example",
      "/..//evil.example/x",
      "/./\\evil.example",
      "//evil.example",
      "https://evil.example/",
      "javascript:alert(1)",
      "evil.example",
      "/%5Cevil.example".replace("%5C", "\\"),
      "",
    ]) {
      const path = safeNextPath(next);
      expect(path, next).toMatch(/^\/(?![/\\])/);
      expect(new URL(path, "https://chorus.test").host, next).toBe("chorus.test");
    }
    expect(safeNextPath(undefined)).toBe("/tasks");
    expect(safeNextPath(["/tasks/x"])).toBe("/tasks");
  });

  it("does not loop back to sign-in or an API", () => {
    expect(safeNextPath("/signin?next=/x")).toBe("/tasks");
    expect(safeNextPath("/api/v1/tasks")).toBe("/tasks");
  });

  it("builds the sign-in link that remembers a task page", () => {
    expect(signInPath("/tasks/abc")).toBe("/signin?next=%2Ftasks%2Fabc");
    expect(signInPath("/tasks")).toBe("/signin");
    expect(signInPath("//evil.example")).toBe("/signin");
    expect(signInPath(null)).toBe("/signin");
  });
});
