import { describe, expect, it } from "vitest";
import { makeBeat } from "../../test/fakeApi";
import { beatStats, timelinePositions } from "./stats";

describe("beatStats", () => {
  const beats = [
    makeBeat({ id: 1, outcome: "sent", started_at: "2026-11-20T10:00:00", prompt_tokens: 100, completion_tokens: 10 }),
    makeBeat({ id: 2, outcome: "skipped", skip_reason: "quiet-hours", started_at: "2026-11-20T11:00:00", prompt_tokens: 0, completion_tokens: 0 }),
    makeBeat({ id: 3, outcome: "skipped", skip_reason: "empty-heartbeat-file", started_at: "2026-11-21T09:00:00", prompt_tokens: 0, completion_tokens: 0 }),
    makeBeat({ id: 4, outcome: "skipped", skip_reason: "quiet-hours", started_at: "2026-11-21T10:00:00", prompt_tokens: 0, completion_tokens: 0 }),
    makeBeat({ id: 5, outcome: null, status: "running", started_at: "2026-11-21T12:00:00", prompt_tokens: 5, completion_tokens: 1 }),
  ];

  it("counts per outcome and skip reason, most first", () => {
    const stats = beatStats(beats);
    expect(stats.total).toBe(5);
    expect(stats.byOutcome).toEqual([
      ["skipped", 3],
      ["running", 1],
      ["sent", 1],
    ]);
    expect(stats.bySkipReason).toEqual([
      ["quiet-hours", 2],
      ["empty-heartbeat-file", 1],
    ]);
  });

  it("sums tokens per local day, oldest first", () => {
    expect(beatStats(beats).tokensByDay).toEqual([
      ["2026-11-20", 110],
      ["2026-11-21", 6],
    ]);
  });

  it("places beats on the timeline from 0 to 100", () => {
    const positions = timelinePositions(beats);
    expect(positions.get(1)).toBe(0);
    expect(positions.get(5)).toBe(100);
    expect(timelinePositions([beats[0]!]).get(1)).toBe(50);
  });
});
