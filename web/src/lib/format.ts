/** Dates and numbers as the panel shows them. Times are the browser's local time. */

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** `2026-11-22 03:20:53` in local time; "—" for nothing; the text itself when unreadable. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) {
    return "—";
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** `YYYY-MM-DD` of a time, in local time. */
export function dayOf(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso.slice(0, 10);
  }
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** `in 5 min`, `3 h ago`, `just now` relative to `now` (ms since the epoch). */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) {
    return "";
  }
  const at = new Date(iso).getTime();
  if (Number.isNaN(at)) {
    return "";
  }
  const seconds = Math.round((at - now) / 1000);
  const size = Math.abs(seconds);
  if (size < 5) {
    return "just now";
  }
  const [count, unit] =
    size < 90
      ? [size, "s"]
      : size < 90 * 60
        ? [Math.round(size / 60), "min"]
        : size < 36 * 3600
          ? [Math.round(size / 3600), "h"]
          : [Math.round(size / 86400), "d"];
  return seconds > 0 ? `in ${count} ${unit}` : `${count} ${unit} ago`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) {
    return "—";
  }
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** Any JSON value as readable text (strings as they are). */
export function asText(value: unknown): string {
  if (value === null || value === undefined) {
    return "";
  }
  if (typeof value === "string") {
    return value;
  }
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

/** A ticking countdown: `in 4 min 05 s`, `in 12 s`, `due now`, `3 min overdue`. */
export function countdown(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) {
    return "";
  }
  const at = new Date(iso).getTime();
  if (Number.isNaN(at)) {
    return "";
  }
  const seconds = Math.round((at - now) / 1000);
  if (seconds <= 0) {
    return seconds > -60 ? "due now" : `${relativeTime(iso, now).replace(" ago", "")} overdue`;
  }
  if (seconds < 60) {
    return `in ${seconds} s`;
  }
  if (seconds < 3600) {
    return `in ${Math.floor(seconds / 60)} min ${pad(seconds % 60)} s`;
  }
  if (seconds < 86400) {
    return `in ${Math.floor(seconds / 3600)} h ${pad(Math.floor((seconds % 3600) / 60))} min`;
  }
  return `in ${Math.floor(seconds / 86400)} d ${Math.floor((seconds % 86400) / 3600)} h`;
}
