import { useCallback, useEffect, useRef, useState } from "react";
import { useApi, useBusEvents, useStreamState } from "../../api/context";
import type { FleetPage, FleetRow } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { OutcomeBadge } from "../../components/OutcomeBadge";
import { useThreads } from "../../components/threads";
import { formatCount, formatTime, relativeTime } from "../../lib/format";
import { useNow } from "../../lib/hooks";
import { FLEET_DEFAULTS, STATE_TEXT, fleetPath, nextBeatText } from "./fleetQuery";
import type { FleetFilter, FleetParams, FleetSort } from "./fleetQuery";

const FILTERS: { value: FleetFilter; label: string }[] = [
  { value: "all", label: "All" },
  { value: "enabled", label: "Enabled" },
  { value: "overdue", label: "Overdue" },
  { value: "quiet-hours", label: "Quiet hours" },
  { value: "paused", label: "Paused" },
  { value: "disabled", label: "Disabled" },
  { value: "dry-run", label: "Dry run" },
  { value: "unhealthy", label: "Unhealthy" },
];

const COLUMNS: { key: FleetSort | null; label: string; className?: string }[] = [
  { key: "id", label: "Thread" },
  { key: "state", label: "State" },
  { key: "next_due", label: "Next beat" },
  { key: "every", label: "Every" },
  { key: "last_beat", label: "Last beat" },
  { key: null, label: "Tokens today", className: "num" },
];

function StateBadge({ row }: { row: FleetRow }) {
  return (
    <span className={`state-badge state-${row.state}`}>
      {STATE_TEXT[row.state] ?? row.state}
      {row.dry_run ? <span className="tag">dry run</span> : null}
      {row.failing ? <span className="tag tag-bad">failing</span> : null}
      {row.health?.state === "unhealthy" ? (
        <span className="tag tag-bad" data-testid="unhealthy">
          unhealthy · {row.health.failed_streak} failed in a row
        </span>
      ) : null}
    </span>
  );
}

/** Every thread at a glance (the first view): state, a live countdown to its next beat, its
 * last outcome and today's tokens; sorted, filtered and paged by the server; bulk on/off. */
export function FleetView() {
  const api = useApi();
  const { select, reload: reloadThreads } = useThreads();
  const now = useNow(1000);
  const [params, setParams] = useState<FleetParams>(FLEET_DEFAULTS);
  const [text, setText] = useState("");
  const [page, setPage] = useState<FleetPage | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setPage(await api.get<FleetPage>(fleetPath(params)));
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  }, [api, params]);

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

  // Typing searches after a pause, not on every key.
  useEffect(() => {
    const timer = setTimeout(() => {
      setParams((p) => (p.text === text ? p : { ...p, text, offset: 0 }));
    }, 300);
    return () => clearTimeout(timer);
  }, [text]);

  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useBusEvents(
    (name) => name === "beat.finished" || name.startsWith("scheduler.") || name === "config.changed",
    () => {
      if (pending.current === null) {
        pending.current = setTimeout(() => {
          pending.current = null;
          void load();
        }, 1000);
      }
    },
  );
  useEffect(
    () => () => {
      if (pending.current !== null) {
        clearTimeout(pending.current);
      }
    },
    [],
  );

  function sortBy(key: FleetSort): void {
    setParams((p) => ({ ...p, sort: key, descending: p.sort === key ? !p.descending : false, offset: 0 }));
  }

  async function bulk(enabled: boolean): Promise<void> {
    const ids = [...chosen];
    setBusy(true);
    setMessage(null);
    try {
      const answer = await api.post<{ changed: string[] }>("/api/fleet/enabled", { thread_ids: ids, enabled });
      setMessage(`${enabled ? "Enabled" : "Disabled"} ${answer.changed.length} of ${ids.length} selected threads`);
      setChosen(new Set());
      setError(null);
      await Promise.all([load(), reloadThreads()]);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  const items = page?.items ?? [];
  const allChosen = items.length > 0 && items.every((r) => chosen.has(r.id));
  const toggleAll = () =>
    setChosen((current) => {
      const next = new Set(current);
      for (const row of items) {
        if (allChosen) {
          next.delete(row.id);
        } else {
          next.add(row.id);
        }
      }
      return next;
    });
  const toggle = (id: string) =>
    setChosen((current) => {
      const next = new Set(current);
      if (next.has(id)) {
        next.delete(id);
      } else {
        next.add(id);
      }
      return next;
    });

  return (
    <div className="view fleet">
      <h2>Fleet</h2>
      <div className="card">
        <ul className="counts" aria-label="Threads per state">
          <li>
            <strong data-testid="fleet-threads">{formatCount(page?.threads ?? 0)}</strong> threads
          </li>
          {page
            ? (Object.entries(page.counts) as [string, number][]).map(([state, count]) => (
                <li key={state}>
                  <span className={`state-badge state-${state}`}>{STATE_TEXT[state] ?? state}</span> {formatCount(count)}
                </li>
              ))
            : null}
        </ul>
        <div className="row filters" role="group" aria-label="Find threads">
          <label htmlFor="fleet-search">Search</label>
          <input id="fleet-search" type="search" value={text} placeholder="id, title or agent" onChange={(e) => setText(e.target.value)} />
          <label htmlFor="fleet-state">Show</label>
          <select
            id="fleet-state"
            value={params.state}
            onChange={(e) => setParams((p) => ({ ...p, state: e.target.value as FleetFilter, offset: 0 }))}
          >
            {FILTERS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
          <label htmlFor="fleet-sort">Sort by</label>
          <select id="fleet-sort" value={params.sort} onChange={(e) => sortBy(e.target.value as FleetSort)}>
            {COLUMNS.filter((c) => c.key !== null).map((c) => (
              <option key={c.key} value={c.key!}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorNote error={error} label="Fleet" />
      <div className="card">
        <div className="row bulk" role="group" aria-label="Selected threads">
          <span className="muted" data-testid="fleet-selected">
            {chosen.size} selected
          </span>
          <button type="button" className="secondary" disabled={chosen.size === 0 || busy} onClick={() => void bulk(true)}>
            Enable selected
          </button>
          <button type="button" className="secondary" disabled={chosen.size === 0 || busy} onClick={() => void bulk(false)}>
            Disable selected
          </button>
          {message ? (
            <span className="ok" role="status">
              {message}
            </span>
          ) : null}
        </div>
        <div className="table-wrap">
          <table className="fleet-table" data-testid="fleet-table">
            <thead>
              <tr>
                <th scope="col">
                  <input type="checkbox" aria-label="Select every thread on this page" checked={allChosen} onChange={toggleAll} />
                </th>
                {COLUMNS.map((c) => (
                  <th
                    key={c.label}
                    scope="col"
                    className={c.className}
                    aria-sort={c.key !== null && params.sort === c.key ? (params.descending ? "descending" : "ascending") : undefined}
                  >
                    {c.key !== null ? (
                      <button type="button" className="sort" onClick={() => sortBy(c.key!)}>
                        {c.label}
                        <span aria-hidden="true">{params.sort === c.key ? (params.descending ? " ▼" : " ▲") : ""}</span>
                      </button>
                    ) : (
                      c.label
                    )}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {items.map((row) => (
                <tr key={row.id} data-testid="fleet-row">
                  <td>
                    <input type="checkbox" aria-label={`Select ${row.id}`} checked={chosen.has(row.id)} onChange={() => toggle(row.id)} />
                  </td>
                  <td data-label="Thread">
                    <a
                      href="#/heartbeat"
                      onClick={() => select(row.id)}
                      aria-label={`Open the heartbeat of ${row.id}`}
                    >
                      {row.id}
                    </a>
                    {row.title ? <div className="muted small">{row.title}</div> : null}
                  </td>
                  <td data-label="State">
                    <StateBadge row={row} />
                  </td>
                  <td data-label="Next beat" className="nowrap">
                    <span data-testid="fleet-countdown">{nextBeatText(row, now)}</span>
                    {row.next_due_at && row.state !== "paused" && row.state !== "disabled" ? (
                      <div className="muted small">{formatTime(row.next_due_at)}</div>
                    ) : null}
                  </td>
                  <td data-label="Every">{row.every ?? "—"}</td>
                  <td data-label="Last beat">
                    {row.last_beat ? (
                      <>
                        <OutcomeBadge outcome={row.last_beat.outcome} status={row.last_beat.status} />{" "}
                        <a href={`#/history/beat/${row.last_beat.id}`} className="muted small">
                          {relativeTime(row.last_beat.finished_at, now)}
                        </a>
                      </>
                    ) : (
                      <span className="muted">none yet</span>
                    )}
                  </td>
                  <td data-label="Tokens today" className="num">
                    {formatCount(row.tokens_today)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {page && items.length === 0 ? <p className="muted">No thread matches.</p> : null}
        <div className="row pager" role="group" aria-label="Pages">
          <span className="muted" data-testid="fleet-range" role="status">
            {page && page.total > 0
              ? `${formatCount(params.offset + 1)}–${formatCount(params.offset + items.length)} of ${formatCount(page.total)}`
              : ""}
          </span>
          <button
            type="button"
            className="secondary"
            disabled={params.offset === 0}
            onClick={() => setParams((p) => ({ ...p, offset: Math.max(0, p.offset - p.limit) }))}
          >
            ← Previous
          </button>
          <button
            type="button"
            className="secondary"
            disabled={page?.next_offset == null}
            onClick={() => setParams((p) => ({ ...p, offset: page?.next_offset ?? p.offset }))}
          >
            Next →
          </button>
        </div>
      </div>
    </div>
  );
}
