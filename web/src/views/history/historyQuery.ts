/** The history view's filters and how they become the query of `/api/beats`. */

export interface HistoryFilters {
  thread: string;
  /** An outcome, or `deferred` / `pending` (the status of an unfinished beat). */
  outcome: string;
  reason: string;
  text: string;
  /** `datetime-local` values (local time), "" for open. */
  since: string;
  until: string;
}

export const EMPTY_FILTERS: HistoryFilters = { thread: "", outcome: "", reason: "", text: "", since: "", until: "" };

export const PAGE_SIZE = 50;

function isoOf(local: string): string | null {
  if (!local) {
    return null;
  }
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The query string (without `?`) for the filters; paging and bucket added by the caller. */
export function filterQuery(filters: HistoryFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.thread.trim()) {
    params.set("thread", filters.thread.trim());
  }
  if (filters.outcome === "deferred") {
    params.set("status", "deferred");
  } else if (filters.outcome === "pending") {
    params.set("status", "claimed");
  } else if (filters.outcome) {
    params.set("outcome", filters.outcome);
  }
  if (filters.reason.trim()) {
    params.set("reason", filters.reason.trim());
  }
  if (filters.text.trim()) {
    params.set("q", filters.text.trim());
  }
  const since = isoOf(filters.since);
  const until = isoOf(filters.until);
  if (since) {
    params.set("since", since);
  }
  if (until) {
    params.set("until", until);
  }
  return params;
}

/** `datetime-local` text for a moment `hoursAgo` before `now` (local time). */
export function localInput(now: number, hoursAgo: number): string {
  const date = new Date(now - hoursAgo * 3600_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Hourly buckets for ranges up to three days, daily beyond (or when open-ended). */
export function bucketFor(filters: HistoryFilters, now: number): "hour" | "day" {
  const since = filters.since ? new Date(filters.since).getTime() : NaN;
  const until = filters.until ? new Date(filters.until).getTime() : now;
  return Number.isFinite(since) && until - since <= 3 * 86400_000 ? "hour" : "day";
}

/** "Showing 51–100 of 247 beats". */
export function rangeText(offset: number, shown: number, total: number): string {
  if (total === 0) {
    return "No beats match.";
  }
  return `Showing ${offset + 1}–${offset + shown} of ${total.toLocaleString("en-US")} beats`;
}
