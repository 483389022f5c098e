import { LEGEND } from "../api/types";

/** An outcome as a coloured badge that also says it in words (colour is never the only cue).
 * An unfinished beat shows its status (`deferred`, `claimed` → running). */
export function OutcomeBadge({ outcome, status }: { outcome?: string | null; status?: string }) {
  const text = outcome ?? (status === "claimed" ? "running" : status) ?? "running";
  const kind = LEGEND.includes(text) ? text : "pending";
  return <span className={`badge badge-${kind}`}>{text}</span>;
}

/** Why a beat ended as it did, without repeating the outcome ("skipped skipped: …"). */
export function whyText(beat: { skip_reason?: string | null; error?: string | null }): string {
  return beat.skip_reason ?? beat.error ?? "";
}
