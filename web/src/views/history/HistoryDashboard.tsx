import { useCallback, useEffect, useRef, useState } from "react";
import type { FormEvent } from "react";
import { useApi, useBusEvents, useStreamState } from "../../api/context";
import { LEGEND } from "../../api/types";
import type { BeatBucket, BeatSearch } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { OutcomeBadge, whyText } from "../../components/OutcomeBadge";
import { formatCount, formatMs, formatTime } from "../../lib/format";
import { Charts } from "./Charts";
import { EMPTY_FILTERS, PAGE_SIZE, bucketFor, filterQuery, localInput, rangeText } from "./historyQuery";
import type { HistoryFilters } from "./historyQuery";

const RANGES = [
  { label: "Last 24 hours", hours: 24 },
  { label: "Last 7 days", hours: 24 * 7 },
  { label: "Last 30 days", hours: 24 * 30 },
];

/** Every beat, searched and paged on the server (never cut off: the total is always shown),
 * with charts over time and a link to each beat's audit record. */
export function HistoryDashboard() {
  const api = useApi();
  const [draft, setDraft] = useState<HistoryFilters>(() => ({ ...EMPTY_FILTERS, since: localInput(Date.now(), 24) }));
  const [filters, setFilters] = useState<HistoryFilters>(draft);
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<BeatSearch | null>(null);
  const [buckets, setBuckets] = useState<BeatBucket[]>([]);
  const [bucket, setBucket] = useState<"hour" | "day">("day");
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);

  const load = useCallback(async () => {
    setLoading(true);
    const query = filterQuery(filters);
    const size = bucketFor(filters, Date.now());
    const pageQuery = new URLSearchParams(query);
    pageQuery.set("limit", String(PAGE_SIZE));
    pageQuery.set("offset", String(offset));
    const statsQuery = new URLSearchParams(query);
    statsQuery.set("bucket", size);
    try {
      const [found, stats] = await Promise.all([
        api.get<BeatSearch>(`/api/beats?${pageQuery.toString()}`),
        api.get<{ items: BeatBucket[] }>(`/api/beats/stats?${statsQuery.toString()}`),
      ]);
      setPage(found);
      setBuckets(stats.items);
      setBucket(size);
      setError(null);
    } catch (failure) {
      setError(failure);
    } finally {
      setLoading(false);
    }
  }, [api, filters, offset]);

  useEffect(() => {
    void load();
  }, [load]);
  // Back from an outage (the event stream is live again): what is shown, and any "cannot
  // reach the server" note, is refreshed.
  const stream = useStreamState();
  useEffect(() => {
    if (stream.state === "live") {
      void load();
    }
  }, [stream.state, load]);

  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useBusEvents("beat.finished", () => {
    if (pending.current === null) {
      pending.current = setTimeout(() => {
        pending.current = null;
        void load();
      }, 1000);
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

  function apply(event: FormEvent): void {
    event.preventDefault();
    setOffset(0);
    setFilters({ ...draft });
  }

  function set<K extends keyof HistoryFilters>(key: K, value: HistoryFilters[K]): void {
    setDraft((current) => ({ ...current, [key]: value }));
  }

  const total = page?.total ?? 0;
  const items = page?.items ?? [];
  return (
    <div className="view history">
      <h2>History</h2>
      <form className="card filters" aria-label="Search beats" onSubmit={apply}>
        <div className="grid">
          <div className="field">
            <label htmlFor="history-text">Text</label>
            <input id="history-text" type="search" value={draft.text} placeholder="alert, error, thread…" onChange={(e) => set("text", e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="history-thread">Thread id</label>
            <input id="history-thread" value={draft.thread} placeholder="all threads" spellCheck={false} onChange={(e) => set("thread", e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="history-outcome">Outcome</label>
            <select id="history-outcome" value={draft.outcome} onChange={(e) => set("outcome", e.target.value)}>
              <option value="">any outcome</option>
              {LEGEND.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="history-reason">Reason</label>
            <input id="history-reason" value={draft.reason} placeholder="quiet-hours, provider-unreachable…" spellCheck={false} onChange={(e) => set("reason", e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="history-since">From</label>
            <input id="history-since" type="datetime-local" value={draft.since} onChange={(e) => set("since", e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="history-until">Until</label>
            <input id="history-until" type="datetime-local" value={draft.until} onChange={(e) => set("until", e.target.value)} />
          </div>
        </div>
        <div className="row">
          <button type="submit" disabled={loading}>
            {loading ? "Searching…" : "Search"}
          </button>
          {RANGES.map((r) => (
            <button
              key={r.hours}
              type="button"
              className="secondary small"
              onClick={() => {
                const next = { ...draft, since: localInput(Date.now(), r.hours), until: "" };
                setDraft(next);
                setOffset(0);
                setFilters(next);
              }}
            >
              {r.label}
            </button>
          ))}
          <button
            type="button"
            className="secondary small"
            onClick={() => {
              setDraft(EMPTY_FILTERS);
              setOffset(0);
              setFilters(EMPTY_FILTERS);
            }}
          >
            All time
          </button>
        </div>
      </form>
      <ErrorNote error={error} label="History" />
      <div className="card">
        <h3>Over time</h3>
        <Charts
          buckets={buckets}
          bucket={bucket}
          since={filters.since ? new Date(filters.since).getTime() : null}
          until={filters.until ? new Date(filters.until).getTime() : Date.now()}
        />
        <ul className="legend" aria-label="Outcome colours">
          {LEGEND.map((o) => (
            <li key={o}>
              <span className={`swatch mark-${o}`} aria-hidden="true" /> {o}
            </li>
          ))}
        </ul>
      </div>
      <div className="card">
        <div className="row spread">
          <h3>Beats</h3>
          <p className="muted" data-testid="history-total" role="status">
            {page ? rangeText(offset, items.length, total) : "…"}
          </p>
        </div>
        <div className="table-wrap">
          <table className="beats" data-testid="beats-table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Thread</th>
                <th scope="col">Wake</th>
                <th scope="col">Outcome</th>
                <th scope="col">Why / alert</th>
                <th scope="col" className="num">Tokens</th>
                <th scope="col" className="num">Took</th>
                <th scope="col">
                  <span className="sr-only">Audit record</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((beat) => (
                <tr key={beat.id}>
                  <td data-label="#">{beat.id}</td>
                  <td data-label="When" className="nowrap">{formatTime(beat.started_at ?? beat.due_at)}</td>
                  <td data-label="Thread">{beat.skill ? `${beat.thread_id} / ${beat.skill}` : beat.thread_id}</td>
                  <td data-label="Wake">{beat.reason}</td>
                  <td data-label="Outcome">
                    <OutcomeBadge outcome={beat.outcome} status={beat.status} />
                  </td>
                  <td className="why model-text">
                    {whyText(beat) || beat.alert_text || ""}
                    {beat.tasks_unaddressed?.length ? (
                      <span className="warn" data-testid="row-unaddressed">
                        {" "}
                        not addressed: {beat.tasks_unaddressed.join(", ")}
                      </span>
                    ) : null}
                  </td>
                  <td data-label="Tokens" className="num">{formatCount(beat.prompt_tokens + beat.completion_tokens)}</td>
                  <td data-label="Took" className="num">{formatMs(beat.duration_ms)}</td>
                  <td>
                    <a href={`#/history/beat/${beat.id}`}>Details</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="row pager" role="group" aria-label="Pages">
          <button type="button" className="secondary" disabled={offset === 0 || loading} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
            ← Newer
          </button>
          <button type="button" className="secondary" disabled={page?.next_offset == null || loading} onClick={() => setOffset(page?.next_offset ?? offset)}>
            Older →
          </button>
        </div>
      </div>
    </div>
  );
}
