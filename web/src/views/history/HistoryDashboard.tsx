import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { seg } from "../../api/client";
import { useApi, useBusEvents } from "../../api/context";
import { OUTCOMES } from "../../api/types";
import type { Beat, BeatPage } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { OutcomeBadge } from "../../components/OutcomeBadge";
import { useThreads } from "../../components/threads";
import { formatCount, formatMs, formatTime } from "../../lib/format";
import { beatStats, timelinePositions } from "./stats";

const PAGE = 200;

function Timeline({ beats }: { beats: Beat[] }) {
  const positions = useMemo(() => timelinePositions(beats), [beats]);
  if (beats.length === 0) {
    return null;
  }
  const ordered = [...beats].reverse();
  const first = ordered[0]!;
  const last = ordered[ordered.length - 1]!;
  return (
    <figure className="timeline-figure">
      <div className="timeline" data-testid="timeline" role="img" aria-label={`${beats.length} beats on a timeline; the table below lists them`}>
        <div className="timeline-axis" aria-hidden="true" />
        {ordered.map((beat) => (
          <a
            key={beat.id}
            href={`#/history/beat/${beat.id}`}
            className={`mark mark-${beat.outcome ?? "pending"}`}
            style={{ left: `${positions.get(beat.id) ?? 50}%` }}
            title={`#${beat.id} ${beat.thread_id} ${beat.outcome ?? beat.status} ${formatTime(beat.started_at ?? beat.due_at)}`}
            tabIndex={-1}
            aria-hidden="true"
          />
        ))}
      </div>
      <figcaption className="timeline-ends muted">
        <span>{formatTime(first.started_at ?? first.due_at)}</span>
        <span>{formatTime(last.started_at ?? last.due_at)}</span>
      </figcaption>
    </figure>
  );
}

function CountTable({ title, rows, empty }: { title: string; rows: [string, number][]; empty: string }) {
  const max = Math.max(1, ...rows.map(([, n]) => n));
  return (
    <div className="stat-block">
      <h4>{title}</h4>
      {rows.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <table className="bars">
          <tbody>
            {rows.map(([name, count]) => (
              <tr key={name}>
                <th scope="row">
                  {OUTCOMES.includes(name as never) ? <OutcomeBadge outcome={name} /> : name}
                </th>
                <td className="bar-cell">
                  <span className="bar" style={{ width: `${(count / max) * 100}%` }} aria-hidden="true" />
                </td>
                <td className="num">{formatCount(count)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** Every beat of the chosen threads: a timeline, counts, tokens per day and a table. */
export function HistoryDashboard() {
  const api = useApi();
  const { threads } = useThreads();
  const [threadFilter, setThreadFilter] = useState("");
  const [outcomeFilter, setOutcomeFilter] = useState("");
  const [beats, setBeats] = useState<Beat[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);

  const load = useCallback(async () => {
    const ids = threadFilter ? [threadFilter] : threads.map((t) => t.id);
    setLoading(true);
    try {
      const query = `limit=${PAGE}${outcomeFilter ? `&outcome=${encodeURIComponent(outcomeFilter)}` : ""}`;
      const pages = await Promise.all(
        ids.map((id) => api.get<BeatPage>(`/api/threads/${seg(id)}/heartbeat/history?${query}`)),
      );
      const all = pages.flatMap((page) => page.items);
      all.sort((a, b) => (b.started_at ?? b.due_at).localeCompare(a.started_at ?? a.due_at) || b.id - a.id);
      setBeats(all);
      setError(null);
    } catch (failure) {
      setError(failure);
    } finally {
      setLoading(false);
    }
  }, [api, threads, threadFilter, outcomeFilter]);

  useEffect(() => {
    void load();
  }, [load]);

  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useBusEvents("beat.finished", () => {
    if (pending.current === null) {
      pending.current = setTimeout(() => {
        pending.current = null;
        void load();
      }, 200);
    }
  });
  useEffect(
    () => () => {
      if (pending.current !== null) {
        clearTimeout(pending.current);
      }
    },
    [],
  );

  const stats = useMemo(() => beatStats(beats), [beats]);

  return (
    <div className="view history">
      <h2>History</h2>
      <div className="card row filters" role="group" aria-label="Filters">
        <label htmlFor="history-thread">Thread</label>
        <select id="history-thread" value={threadFilter} onChange={(e) => setThreadFilter(e.target.value)}>
          <option value="">all threads</option>
          {threads.map((t) => (
            <option key={t.id} value={t.id}>
              {t.id}
            </option>
          ))}
        </select>
        <label htmlFor="history-outcome">Outcome</label>
        <select id="history-outcome" value={outcomeFilter} onChange={(e) => setOutcomeFilter(e.target.value)}>
          <option value="">any outcome</option>
          {OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
        <button type="button" className="secondary" onClick={() => void load()} disabled={loading}>
          {loading ? "Loading…" : "Reload"}
        </button>
        <span className="muted" data-testid="history-total">
          {formatCount(stats.total)} beats
        </span>
      </div>
      <ErrorNote error={error} label="History" />
      <div className="card">
        <h3>Timeline</h3>
        {beats.length === 0 ? <p className="muted">No beats yet.</p> : <Timeline beats={beats} />}
        <ul className="legend" aria-label="Outcome colours">
          {OUTCOMES.map((o) => (
            <li key={o}>
              <span className={`swatch mark-${o}`} aria-hidden="true" /> {o}
            </li>
          ))}
        </ul>
      </div>
      <div className="card stats">
        <CountTable title="Per outcome" rows={stats.byOutcome} empty="No beats." />
        <CountTable title="Per skip reason" rows={stats.bySkipReason} empty="Nothing skipped." />
        <CountTable title="Tokens per day" rows={stats.tokensByDay} empty="No tokens spent." />
      </div>
      <div className="card">
        <h3>Beats</h3>
        <div className="table-wrap">
          <table className="beats" data-testid="beats-table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Thread</th>
                <th scope="col">Reason</th>
                <th scope="col">Outcome</th>
                <th scope="col">Why</th>
                <th scope="col" className="num">
                  Tokens
                </th>
                <th scope="col" className="num">
                  Took
                </th>
                <th scope="col">
                  <span className="sr-only">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {beats.map((beat) => (
                <tr key={beat.id}>
                  <td>{beat.id}</td>
                  <td>{formatTime(beat.started_at ?? beat.due_at)}</td>
                  <td>{beat.skill ? `${beat.thread_id} / ${beat.skill}` : beat.thread_id}</td>
                  <td>{beat.reason}</td>
                  <td>
                    <OutcomeBadge outcome={beat.outcome} status={beat.status} />
                  </td>
                  <td className="why">{beat.skip_reason ?? beat.error ?? beat.alert_text ?? ""}</td>
                  <td className="num">{formatCount(beat.prompt_tokens + beat.completion_tokens)}</td>
                  <td className="num">{formatMs(beat.duration_ms)}</td>
                  <td>
                    <a href={`#/history/beat/${beat.id}`}>Details</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </div>
  );
}
