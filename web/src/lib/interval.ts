/**
 * The heartbeat interval grammar of SPEC §3.1, checked in the browser before anything is sent.
 *
 * After trimming and lower-casing: one or more `<number><unit>` pieces written together (units
 * `ms` `s` `m` `h` `d`), or a bare number meaning minutes. Numbers are unsigned and may have a
 * decimal part (`1.5` = 90 s, `0.5h` = 30 min). Spaces between pieces, signs and a trailing
 * number without a unit (`1h30`) are invalid. A total of zero (after rounding to whole
 * microseconds, as the server does) means the heartbeat is disabled.
 */

export type IntervalResult =
  | { kind: "interval"; ms: number; text: string }
  | { kind: "disabled"; text: string }
  | { kind: "invalid"; text: string; message: string };

const MICROS_PER_UNIT: Record<string, number> = {
  d: 86_400_000_000,
  h: 3_600_000_000,
  m: 60_000_000,
  s: 1_000_000,
  ms: 1_000,
};
const NUMBER = String.raw`(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)`;
// `ms` is tried before `m` so that `5ms` is five milliseconds, not five minutes and a stray `s`.
const PIECE = new RegExp(`(${NUMBER})(ms|s|m|h|d)`, "g");
const PIECES = new RegExp(`^(?:${NUMBER}(?:ms|s|m|h|d))+$`);
const BARE = new RegExp(`^${NUMBER}$`);
/** The longest duration Python's `timedelta` holds (999,999,999 days and a bit). */
const MAX_MICROS = 999_999_999 * 86_400_000_000 + 86_399_999_999;
const EXAMPLES = "examples: 30m, 2h30m, 90s, 0m to disable";

/** How the server quotes a value in its messages: JSON, cut at 60 characters. */
export function quoteValue(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

function totalMicros(text: string): number | null {
  if (BARE.test(text)) {
    return Number(text) * MICROS_PER_UNIT["m"]!;
  }
  if (!PIECES.test(text)) {
    return null;
  }
  let total = 0;
  for (const match of text.matchAll(PIECE)) {
    total += Number(match[1]) * MICROS_PER_UNIT[match[2]!]!;
  }
  return total;
}

/** Read `text` as an interval; `key` names the setting in the error message. */
export function parseInterval(text: string, key = "every"): IntervalResult {
  const micros = totalMicros(text.trim().toLowerCase());
  if (micros === null || !Number.isFinite(micros)) {
    return {
      kind: "invalid",
      text,
      message:
        micros === null
          ? `${key}: ${quoteValue(text)} is not a duration (${EXAMPLES})`
          : `${key}: ${quoteValue(text)} is too long a duration (at most 999999999d)`,
    };
  }
  if (micros > MAX_MICROS) {
    return {
      kind: "invalid",
      text,
      message: `${key}: ${quoteValue(text)} is too long a duration (at most 999999999d)`,
    };
  }
  if (Math.round(micros) <= 0) {
    return { kind: "disabled", text };
  }
  return { kind: "interval", ms: micros / 1000, text };
}

const SPOKEN_UNITS: [number, string][] = [
  [86_400_000, "d"],
  [3_600_000, "h"],
  [60_000, "min"],
  [1_000, "s"],
  [1, "ms"],
];

/** A duration as people read it: `1 h 30 min`, `90 ms`, `2 d`. */
export function describeDuration(ms: number): string {
  if (ms <= 0) {
    return "0 s";
  }
  const parts: string[] = [];
  let rest = ms;
  for (const [size, unit] of SPOKEN_UNITS) {
    const count = size === 1 ? Math.round(rest * 1000) / 1000 : Math.floor(rest / size);
    if (count > 0) {
      parts.push(`${count} ${unit}`);
      rest -= count * size;
    }
    if (parts.length === 2) {
      break;
    }
  }
  return parts.join(" ");
}
