import { describe, expect, it } from "vitest";
import { formatSpan, timelineScale } from "@/components/tasks/timeline-scale";

const t0 = Date.parse("2026-12-07T10:00:00.000Z");
const iso = (offsetMs: number) => new Date(t0 + offsetMs).toISOString();

describe("the timeline's scale", () => {
  it("places every attempt on one axis from the earliest start to the latest end", () => {
    const scale = timelineScale(
      [
        { stepId: "research", attempt: 1, status: "failed", startedAt: iso(0), completedAt: iso(2_000) },
        { stepId: "research", attempt: 2, status: "completed", startedAt: iso(2_000), completedAt: iso(6_000) },
        { stepId: "synthesis", attempt: 1, status: "completed", startedAt: iso(6_000), completedAt: iso(8_000) },
      ],
      t0 + 60_000,
    );
    expect(scale.startMs).toBe(t0);
    expect(scale.spanMs).toBe(8_000);
    expect(scale.bars.map((bar) => [bar.attempt.stepId, bar.attempt.attempt, bar.leftPercent, bar.widthPercent, bar.running])).toEqual([
      ["research", 1, 0, 25, false],
      ["research", 2, 25, 50, false],
      ["synthesis", 1, 75, 25, false],
    ]);
    // Round ticks, at most six: every 2 s over 8 s.
    expect(scale.ticks.map((tick) => tick.label)).toEqual(["0", "2.0 s", "4.0 s", "6.0 s", "8.0 s"]);
    expect(scale.ticks.map((tick) => tick.atPercent)).toEqual([0, 25, 50, 75, 100]);
  });

  it("ends a running attempt at now, so its bar grows as the clock ticks", () => {
    const attempts = [
      { stepId: "a", attempt: 1, status: "completed", startedAt: iso(0), completedAt: iso(1_000) },
      { stepId: "b", attempt: 1, status: "running", startedAt: iso(1_000), completedAt: null },
    ];
    const early = timelineScale(attempts, t0 + 2_000);
    const later = timelineScale(attempts, t0 + 4_000);
    expect(early.bars[1]).toMatchObject({ running: true, durationMs: 1_000, leftPercent: 50, widthPercent: 50 });
    expect(later.bars[1]).toMatchObject({ running: true, durationMs: 3_000, leftPercent: 25, widthPercent: 75 });
    expect(later.bars[0]!.widthPercent).toBe(25);
  });

  it("leaves out attempts that never started and survives a zero span or an end before the start", () => {
    const scale = timelineScale(
      [
        { stepId: "a", attempt: 1, status: "completed", startedAt: iso(0), completedAt: iso(0) },
        { stepId: "b", attempt: 1, status: "queued", startedAt: "", completedAt: null },
        { stepId: "c", attempt: 1, status: "completed", startedAt: iso(0), completedAt: iso(-50) },
      ],
      t0,
    );
    expect(scale.bars.map((bar) => bar.attempt.stepId)).toEqual(["a", "c"]);
    expect(scale.spanMs).toBe(100);
    expect(scale.bars.every((bar) => Number.isFinite(bar.widthPercent) && bar.widthPercent === 0)).toBe(true);
    expect(timelineScale([], t0)).toEqual({ startMs: t0, spanMs: 0, bars: [], ticks: [] });
  });

  it("picks minute ticks for a long run and says durations the way people read them", () => {
    const scale = timelineScale([{ stepId: "a", attempt: 1, status: "completed", startedAt: iso(0), completedAt: iso(25 * 60_000) }], t0);
    expect(scale.ticks.map((tick) => tick.label)).toEqual(["0", "5 min", "10 min", "15 min", "20 min", "25 min"]);
    expect([formatSpan(850), formatSpan(4_240), formatSpan(42_000), formatSpan(185_000)]).toEqual([
      "850 ms",
      "4.2 s",
      "42 s",
      "3 min 05 s",
    ]);
  });
});
