import { describe, expect, it } from "vitest";
import { describeDuration, parseInterval } from "./interval";

const MIN = 60_000;
const HOUR = 60 * MIN;

describe("parseInterval (SPEC §3.1)", () => {
  const valid: [string, number][] = [
    ["30m", 30 * MIN],
    ["2h30m", 2.5 * HOUR],
    ["90s", 90_000],
    ["1d", 24 * HOUR],
    ["5", 5 * MIN],
    ["1.5", 90_000],
    ["0.5h", 30 * MIN],
    [".5h", 30 * MIN],
    ["500ms", 500],
    ["5ms", 5],
    ["1h30m15s", HOUR + 30 * MIN + 15_000],
    ["1d2h", 26 * HOUR],
    ["  2H  ", 2 * HOUR],
    ["1M", MIN],
    ["0.1s", 100],
    ["2h2h", 4 * HOUR],
  ];
  it.each(valid)("%j is %d ms", (text, ms) => {
    const result = parseInterval(text);
    expect(result.kind).toBe("interval");
    expect(result.kind === "interval" && result.ms).toBeCloseTo(ms, 6);
  });

  const disabled = ["0m", "0", "0s", "0.0h", "0ms", "0.0000001s"];
  it.each(disabled)("%j means disabled", (text) => {
    expect(parseInterval(text).kind).toBe("disabled");
  });

  const invalid = [
    "",
    "   ",
    "1h 30m",
    "1h30",
    "-5m",
    "+5m",
    "5 m",
    "m",
    "h1",
    "1.h",
    "1..5m",
    "1w",
    "abc",
    "1e3m",
    "５m",
    "1,5h",
    "30min",
    "1000000000d",
  ];
  it.each(invalid)("%j is invalid", (text) => {
    expect(parseInterval(text).kind).toBe("invalid");
  });

  it("names the key, the value and the expected form like the server", () => {
    const result = parseInterval("1h 30m");
    expect(result.kind === "invalid" && result.message).toBe(
      'every: "1h 30m" is not a duration (examples: 30m, 2h30m, 90s, 0m to disable)',
    );
  });

  it("says when a duration is too long", () => {
    const result = parseInterval("1000000000d");
    expect(result.kind === "invalid" && result.message).toMatch(/too long/);
  });
});

describe("describeDuration", () => {
  it.each([
    [90 * MIN, "1 h 30 min"],
    [24 * HOUR, "1 d"],
    [90_000, "1 min 30 s"],
    [500, "500 ms"],
    [0, "0 s"],
  ])("%d ms reads %j", (ms, text) => {
    expect(describeDuration(ms)).toBe(text);
  });
});
