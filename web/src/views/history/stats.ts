import type { Beat } from "../../api/types";
import { dayOf } from "../../lib/format";

export interface BeatStats {
  byOutcome: [string, number][];
  bySkipReason: [string, number][];
  tokensByDay: [string, number][];
  total: number;
}

function sortedCounts(counts: Map<string, number>): [string, number][] {
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** Counts per outcome and per skip reason, and tokens per (local) day, oldest day first. */
export function beatStats(beats: readonly Beat[]): BeatStats {
  const outcomes = new Map<string, number>();
  const reasons = new Map<string, number>();
  const days = new Map<string, number>();
  for (const beat of beats) {
    const outcome = beat.outcome ?? beat.status;
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    if (beat.skip_reason) {
      reasons.set(beat.skip_reason, (reasons.get(beat.skip_reason) ?? 0) + 1);
    }
    const day = dayOf(beat.started_at ?? beat.due_at);
    days.set(day, (days.get(day) ?? 0) + beat.prompt_tokens + beat.completion_tokens);
  }
  return {
    byOutcome: sortedCounts(outcomes),
    bySkipReason: sortedCounts(reasons),
    tokensByDay: [...days.entries()].sort((a, b) => a[0].localeCompare(b[0])),
    total: beats.length,
  };
}

/** Where each beat sits on a timeline, 0–100 (%), oldest left. */
export function timelinePositions(beats: readonly Beat[]): Map<number, number> {
  const times = beats.map((b) => new Date(b.started_at ?? b.due_at).getTime()).filter(Number.isFinite);
  const min = Math.min(...times);
  const max = Math.max(...times);
  const span = max - min;
  const out = new Map<number, number>();
  for (const beat of beats) {
    const at = new Date(beat.started_at ?? beat.due_at).getTime();
    out.set(beat.id, span > 0 && Number.isFinite(at) ? ((at - min) / span) * 100 : 50);
  }
  return out;
}
