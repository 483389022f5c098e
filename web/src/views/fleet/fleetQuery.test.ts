import { describe, expect, it } from "vitest";
import type { FleetRow } from "../../api/types";
import { FLEET_DEFAULTS, fleetPath, nextBeatText } from "./fleetQuery";

const ROW: FleetRow = {
  id: "t1",
  title: "",
  agent: "default",
  enabled: true,
  state: "scheduled",
  every: "30m",
  dry_run: false,
  target: "thread",
  active_hours: null,
  next_due_at: "2026-11-22T10:05:00Z",
  last_finished_at: null,
  last_beat: null,
  failing: false,
  tokens_today: 0,
};
const NOW = new Date("2026-11-22T10:00:00Z").getTime();

describe("fleet", () => {
  it("asks the server for one sorted, filtered page", () => {
    expect(fleetPath(FLEET_DEFAULTS)).toBe("/api/fleet?sort=next_due&order=asc&limit=50&offset=0");
    expect(fleetPath({ ...FLEET_DEFAULTS, text: " kit ", state: "overdue", sort: "title", descending: true, offset: 50 })).toBe(
      "/api/fleet?sort=title&order=desc&limit=50&offset=50&q=kit&state=overdue",
    );
  });

  it("counts down only to beats that will come", () => {
    expect(nextBeatText(ROW, NOW)).toBe("in 5 min 00 s");
    expect(nextBeatText(ROW, NOW + 299_000)).toBe("in 1 s");
    expect(nextBeatText({ ...ROW, state: "paused" }, NOW)).toBe("paused: scheduler stopped");
    expect(nextBeatText({ ...ROW, state: "disabled" }, NOW)).toBe("off");
    expect(nextBeatText({ ...ROW, next_due_at: null }, NOW)).toBe("not planned yet");
    expect(nextBeatText({ ...ROW, next_due_at: "2026-11-22T09:50:00Z", state: "overdue" }, NOW)).toBe("10 min overdue");
  });
});
