import { z } from "zod";
import { describe, expect, it } from "vitest";
import { MAX_DEPTH, parseInput } from "@/server/validation";

const schema = z.object({ prompt: z.string(), extra: z.unknown().optional() });

const nested = (depth: number): unknown => {
  let value: unknown = "leaf";
  for (let level = 0; level < depth; level++) value = [value];
  return value;
};

describe("parseInput", () => {
  it("names every field that holds a NUL character, in values and in keys, at any depth", () => {
    expect(() => parseInput(schema, { prompt: "a\u0000b", extra: { list: ["ok", "bad\u0000"], ["key\u0000"]: 1 } })).toThrow(
      expect.objectContaining({
        code: "bad_request",
        field: "extra",
        issues: [
          { field: "extra", message: "extra must not contain NUL (\\u0000) characters in its keys" },
          { field: "extra.list.1", message: "extra.list.1 must not contain NUL (\\u0000) characters" },
          { field: "prompt", message: "prompt must not contain NUL (\\u0000) characters" },
        ],
      }),
    );
  });

  it(`refuses input nested more than ${MAX_DEPTH} levels deep, however deep, without exhausting the stack`, () => {
    expect(parseInput(schema, { prompt: "fine", extra: nested(MAX_DEPTH - 2) })).toMatchObject({ prompt: "fine" });
    for (const depth of [MAX_DEPTH, 100_000]) {
      expect(() => parseInput(schema, { prompt: "deep", extra: nested(depth) })).toThrow(
        expect.objectContaining({
          code: "bad_request",
          message: expect.stringMatching(new RegExp(`^extra(\\.0)+ is nested more than ${MAX_DEPTH} levels deep$`)),
        }),
      );
    }
  });

  it("still reports the schema's own problems first, naming the field", () => {
    expect(() => parseInput(schema, { prompt: 5 })).toThrow(expect.objectContaining({ code: "bad_request", field: "prompt" }));
  });
});
