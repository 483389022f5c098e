import type { FleetRow } from "../../api/types";
import { countdown } from "../../lib/format";

export type FleetSort = "id" | "title" | "state" | "next_due" | "last_beat" | "every";
export type FleetFilter =
  | "all"
  | "enabled"
  | "disabled"
  | "paused"
  | "quiet-hours"
  | "overdue"
  | "dry-run"
  | "unhealthy";

export interface FleetParams {
  text: string;
  state: FleetFilter;
  sort: FleetSort;
  descending: boolean;
  offset: number;
  limit: number;
}

export const FLEET_DEFAULTS: FleetParams = { text: "", state: "all", sort: "next_due", descending: false, offset: 0, limit: 50 };

export const STATE_TEXT: Record<string, string> = {
  scheduled: "scheduled",
  paused: "paused (scheduler stopped)",
  "quiet-hours": "quiet hours",
  overdue: "overdue (not running)",
  disabled: "disabled",
};

/** `/api/fleet?…` for the parameters. */
export function fleetPath(params: FleetParams): string {
  const query = new URLSearchParams({
    sort: params.sort,
    order: params.descending ? "desc" : "asc",
    limit: String(params.limit),
    offset: String(params.offset),
  });
  if (params.text.trim()) {
    query.set("q", params.text.trim());
  }
  if (params.state !== "all") {
    query.set("state", params.state);
  }
  return `/api/fleet?${query.toString()}`;
}

/** What the "Next beat" cell says: a ticking countdown only when a beat will really come. */
export function nextBeatText(row: FleetRow, now: number): string {
  if (row.state === "disabled") {
    return "off";
  }
  if (row.state === "paused") {
    return "paused: scheduler stopped";
  }
  if (!row.next_due_at) {
    return "not planned yet";
  }
  return countdown(row.next_due_at, now);
}
