import { useStreamState } from "../../api/context";
import type { Status } from "../../api/types";
import { OutcomeBadge } from "../../components/OutcomeBadge";
import { formatTime, relativeTime } from "../../lib/format";
import type { ActivityEntry } from "./activity";

const STREAM_TEXT: Record<string, string> = {
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
  unauthorized: "refused (token)",
  closed: "off",
};

interface Props {
  status: Status | null;
  threadNextDue: string | null;
  activity: ActivityEntry[];
}

/** Running or not, last beat, next due, and what happened lately; updated over SSE. */
export function StatusArea({ status, threadNextDue, activity }: Props) {
  const stream = useStreamState();
  const last = status?.last_beat ?? null;
  return (
    <section className="status-area" aria-labelledby="status-title">
      <h3 id="status-title">Status</h3>
      <dl className="facts">
        <div>
          <dt>Scheduler</dt>
          <dd data-testid="scheduler-state">
            {status === null ? (
              "…"
            ) : status.running ? (
              <span className="state state-on">● running</span>
            ) : (
              <span className="state state-off">○ stopped</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Live updates</dt>
          <dd data-testid="stream-state" title={stream.detail ?? undefined}>
            <span className={`stream stream-${stream.state}`}>{STREAM_TEXT[stream.state]}</span>
          </dd>
        </div>
        <div>
          <dt>Last beat</dt>
          <dd data-testid="last-beat">
            {last ? (
              <>
                <OutcomeBadge outcome={last.outcome} status={last.status} /> #{last.id} {last.thread_id}
                {last.skip_reason ? ` (${last.skip_reason})` : ""}{" "}
                <span className="muted">
                  {formatTime(last.finished_at ?? last.started_at ?? last.due_at)}
                </span>
              </>
            ) : (
              "none yet"
            )}
          </dd>
        </div>
        <div>
          <dt>Next due (this thread)</dt>
          <dd data-testid="next-due">
            {threadNextDue ? (
              <>
                {formatTime(threadNextDue)} <span className="muted">{relativeTime(threadNextDue)}</span>
              </>
            ) : (
              "not planned"
            )}
          </dd>
        </div>
        <div>
          <dt>Next due (any thread)</dt>
          <dd>{status?.next_due_at ? formatTime(status.next_due_at) : "—"}</dd>
        </div>
        <div>
          <dt>In flight</dt>
          <dd>{status && status.in_flight.length > 0 ? status.in_flight.join(", ") : "nothing"}</dd>
        </div>
      </dl>
      <h4 id="activity-title">Recent activity</h4>
      <ol className="activity" aria-labelledby="activity-title" aria-live="polite" data-testid="activity">
        {activity.length === 0 ? <li className="muted">Nothing yet.</li> : null}
        {activity.map((entry) => (
          <li key={entry.id} className={`activity-${entry.kind}`}>
            <span className="muted">{formatTime(entry.at)}</span>{" "}
            <span className="sr-only">{entry.kind === "error" ? "Error: " : ""}</span>
            {entry.text}
          </li>
        ))}
      </ol>
    </section>
  );
}
