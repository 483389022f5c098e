import type { BusEvent } from "../../api/types";

export interface ActivityEntry {
  id: number;
  at: string;
  kind: "ok" | "error" | "info";
  text: string;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : value === null || value === undefined ? "" : String(value);
}

/** A line for the status area about one bus event, or null for events it does not show. */
export function describeEvent(event: BusEvent): Omit<ActivityEntry, "id"> | null {
  const d = event.data;
  const thread = str(d["thread_id"]);
  const skill = str(d["skill"]);
  const who = skill ? `${thread} / ${skill}` : thread;
  switch (event.name) {
    case "beat.started":
      return { at: event.at, kind: "info", text: `Beat #${str(d["beat_id"])} of ${who} started (${str(d["reason"])})` };
    case "beat.finished": {
      const outcome = str(d["outcome"]) || str(d["status"]);
      const why = str(d["skip_reason"]) || str(d["error"]);
      return {
        at: event.at,
        kind: outcome === "failed" ? "error" : "ok",
        text: `Beat #${str(d["beat_id"])} of ${who}: ${outcome}${why ? ` (${why})` : ""}`,
      };
    }
    case "scheduler.started":
      return { at: event.at, kind: "ok", text: "Scheduler started" };
    case "scheduler.stopped":
      return { at: event.at, kind: "info", text: "Scheduler stopped" };
    case "config.changed":
      return {
        at: event.at,
        kind: "info",
        text: thread ? `Config of ${thread} changed` : `${str(d["file"]) || "config"} changed (version ${str(d["version"])})`,
      };
    case "action.pending_approval":
      return { at: event.at, kind: "info", text: `Action ${str(d["type"])} of ${who} waits for approval` };
    case "action.rejected":
    case "action.rate_limited":
      return { at: event.at, kind: "error", text: `Action ${str(d["type"])} of ${who}: ${str(d["status"])}` };
    case "delivery.failed":
      return { at: event.at, kind: "error", text: `Delivery for ${who} failed` };
    default:
      return null;
  }
}
