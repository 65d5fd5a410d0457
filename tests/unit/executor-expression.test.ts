import { describe, expect, it } from "vitest";
import { ExpressionError, parseExpression } from "@/inngest/executor/expression";

const matches = (source: string, scope: Record<string, unknown>) => parseExpression(source).matches(scope);

describe("executor expressions (the CEL subset for waitForEvent, cancelOn and trigger filters)", () => {
  const event = { name: "chorus/task.created", data: { taskId: "t1", teamId: "acme", priority: 3, tags: ["a", "b"], owner: { id: 7 } } };

  it("compares the waiting run's event with the incoming one", () => {
    expect(matches("event.data.taskId == async.data.taskId", { event, async: { data: { taskId: "t1" } } })).toBe(true);
    expect(matches("event.data.taskId == async.data.taskId", { event, async: { data: { taskId: "t2" } } })).toBe(false);
  });

  it("compares with string, number, boolean and null literals in either quote style", () => {
    const async = { data: { plan: "pro", seats: 5, approved: true, note: null } };
    expect(matches(`async.data.plan == "pro"`, { async })).toBe(true);
    expect(matches(`async.data.plan == 'pro'`, { async })).toBe(true);
    expect(matches(`async.data.plan != 'free'`, { async })).toBe(true);
    expect(matches("async.data.seats >= 5 && async.data.seats < 10", { async })).toBe(true);
    expect(matches("async.data.approved == true", { async })).toBe(true);
    expect(matches("async.data.note == null", { async })).toBe(true);
    expect(matches("async.data.seats > -1", { async })).toBe(true);
  });

  it("combines with &&, || and !, respecting parentheses", () => {
    const async = { data: { taskId: "t1", kind: "stop" } };
    expect(matches(`event.data.taskId == async.data.taskId && async.data.kind == "stop"`, { event, async })).toBe(true);
    expect(matches(`event.data.taskId == async.data.taskId && async.data.kind == "pause"`, { event, async })).toBe(false);
    expect(matches(`async.data.kind == "pause" || async.data.kind == "stop"`, { async })).toBe(true);
    expect(matches(`!(async.data.kind == "stop")`, { async })).toBe(false);
    expect(matches(`(async.data.kind == "x" || async.data.kind == "stop") && event.data.teamId == "acme"`, { event, async })).toBe(true);
  });

  it("reads nested fields, indexes and bracketed keys, and compares objects deeply", () => {
    expect(matches("event.data.tags[1] == 'b'", { event })).toBe(true);
    expect(matches("event.data['owner'].id == 7", { event })).toBe(true);
    expect(matches("event.data.owner == async.data.owner", { event, async: { data: { owner: { id: 7 } } } })).toBe(true);
  });

  it("does not match when a field is missing, unless || already decided", () => {
    expect(matches("event.data.missing == async.data.missing", { event, async: { data: {} } })).toBe(false);
    expect(matches("event.data.missing != 'x'", { event })).toBe(false);
    expect(matches("event.data.missing == 'x' || event.data.taskId == 't1'", { event })).toBe(true);
    expect(matches("async.data.x == 1", { event })).toBe(false);
  });

  it("rejects syntax outside the subset when parsed, instead of never matching", () => {
    expect(() => parseExpression("size(event.data.tags) > 1")).toThrow(ExpressionError);
    expect(() => parseExpression("event.data.tags.exists(t, t == 'a')")).toThrow(ExpressionError);
    expect(() => parseExpression("event.data.a * 2 == 2")).toThrow(ExpressionError);
    expect(() => parseExpression("event.data.a - 1 == 2")).toThrow(ExpressionError);
    expect(() => parseExpression("event.data.a == 'unterminated")).toThrow(ExpressionError);
    expect(() => parseExpression("event.data.a ==")).toThrow(ExpressionError);
  });

  it("computes values, as concurrency keys do: paths, literals and + on two strings or two numbers", () => {
    const value = (source: string) => parseExpression(source).valueOf({ event });
    expect(value("event.data.teamId")).toBe("acme");
    expect(value("event.data.owner")).toEqual({ id: 7 });
    expect(value(`"openai"`)).toBe("openai");
    expect(value(`event.data.teamId + "-" + event.data.taskId`)).toBe("acme-t1");
    expect(value("event.data.priority + 1")).toBe(4);
    expect(matches(`event.data.teamId + "/x" == "acme/x"`, { event })).toBe(true);
  });

  it("has no value when a field is missing or + mixes types", () => {
    expect(parseExpression("event.data.missing").valueOf({ event })).toBeUndefined();
    expect(parseExpression(`event.data.teamId + 1`).valueOf({ event })).toBeUndefined();
    expect(matches(`event.data.teamId + 1 == "acme1"`, { event })).toBe(false);
  });
});
