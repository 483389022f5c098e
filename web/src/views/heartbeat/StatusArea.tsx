import { useStreamState } from "../../api/context";
import type { Status } from "../../api/types";
import { OutcomeBadge } from "../../components/OutcomeBadge";
import { countdown, formatTime } from "../../lib/format";
import { useNow } from "../../lib/hooks";
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
  /** False when the last request could not reach the server: nothing shown is current. */
  reachable?: boolean;
  threadNextDue: string | null;
  threadEnabled?: boolean;
  activity: ActivityEntry[];
}

/** Running or not, last beat, next due, and what happened lately; updated over SSE. */
export function StatusArea({ status, reachable = true, threadNextDue, threadEnabled = true, activity }: Props) {
  const stream = useStreamState();
  const now = useNow(1000);
  const last = status?.last_beat ?? null;
  const running = reachable && status?.running === true;
  return (
    <section className="status-area" aria-labelledby="status-title">
      <h3 id="status-title">Status</h3>
      <dl className="facts">
        <div>
          <dt>Scheduler</dt>
          <dd data-testid="scheduler-state">
            {!reachable ? (
              <span className="state state-unknown">? unknown: cannot reach the server</span>
            ) : status === null ? (
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
            {!reachable ? (
              "unknown"
            ) : status !== null && !status.running ? (
              "none: the scheduler is stopped"
            ) : !threadEnabled ? (
              "none: this thread is disabled"
            ) : threadNextDue ? (
              <>
                {formatTime(threadNextDue)} <span className="muted" data-testid="next-due-countdown">{countdown(threadNextDue, now)}</span>
              </>
            ) : (
              "not planned"
            )}
          </dd>
        </div>
        <div>
          <dt>Next due (any thread)</dt>
          <dd>{running && status?.next_due_at ? formatTime(status.next_due_at) : "—"}</dd>
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
