/** An outcome as a coloured badge that also says it in words (colour is never the only cue). */
export function OutcomeBadge({ outcome, status }: { outcome?: string | null; status?: string }) {
  const text = outcome ?? status ?? "running";
  const known = ["sent", "ok-empty", "ok-token", "skipped", "failed", "interrupted"];
  const kind = known.includes(text) ? text : "pending";
  return <span className={`badge badge-${kind}`}>{text}</span>;
}
