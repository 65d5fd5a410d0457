import { describe, expect, it } from "vitest";
import { budgetNote, unknownPriceNote } from "@/components/usage/usage-summary-text";

/** The usage page's sentences about the budget and the calls whose cost is not known. */
describe("the usage page's notes", () => {
  it("say how many calls to unpriced models the cost leaves out, and nothing when there are none", () => {
    expect(unknownPriceNote(0)).toBeUndefined();
    expect(unknownPriceNote(1)).toBe("1 call to models without a known price is not in the cost.");
    expect(unknownPriceNote(1200)).toBe("1,200 calls to models without a known price are not in the cost.");
  });

  it("put the 30-day total against the monthly budget, capping the bar and marking an overrun", () => {
    expect(budgetNote(5, null)).toBeUndefined();
    expect(budgetNote(0.001, 50)).toMatchObject({ text: "<1% of the $50.00 monthly budget", over: false });
    expect(budgetNote(25, 50)).toEqual({ text: "50% of the $50.00 monthly budget", percent: 50, over: false });
    expect(budgetNote(75, 50)).toEqual({ text: "150% of the $50.00 monthly budget", percent: 100, over: true });
  });
});
