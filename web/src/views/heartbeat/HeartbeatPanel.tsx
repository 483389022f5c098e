import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, seg } from "../../api/client";
import { useApi, useBusEvents, useStreamState } from "../../api/context";
import type { Beat, Status, Thread, ThreadConfig } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { OutcomeBadge, whyText } from "../../components/OutcomeBadge";
import { ThreadPicker, useThreads } from "../../components/threads";
import { formatMs } from "../../lib/format";
import { ConfigForm } from "./ConfigForm";
import { HeartbeatMdEditor } from "./HeartbeatMdEditor";
import { RulesForm } from "./RulesForm";
import { StatusArea } from "./StatusArea";
import { TimePanel } from "./TimePanel";
import { describeEvent } from "./activity";
import type { ActivityEntry } from "./activity";

const MAX_ACTIVITY = 30;

/** What run-now answered, shown until the next run. */
function RunResult({ beat }: { beat: Beat }) {
  return (
    <div className="run-result" data-testid="run-result" role="status">
      <h4>Run now: beat #{beat.id}</h4>
      <p>
        <OutcomeBadge outcome={beat.outcome} status={beat.status} />
        {whyText(beat) ? <> ({whyText(beat)})</> : null}
        <span className="muted">
          {" "}
          · {beat.prompt_tokens + beat.completion_tokens} tokens · {formatMs(beat.duration_ms)}
        </span>
      </p>
      {beat.alert_text ? (
        <blockquote className="model-text" data-testid="run-alert">
          {beat.alert_text}
        </blockquote>
      ) : null}
      <a href={`#/history/beat/${beat.id}`}>Open the audit record of beat #{beat.id}</a>
    </div>
  );
}

/** Seed 000's HeartbeatPanel: thread, config, HEARTBEAT.md, scheduler control, live status. */
export function HeartbeatPanel() {
  const api = useApi();
  const { selected, threads, loaded, reload: reloadThreads } = useThreads();
  const [status, setStatus] = useState<Status | null>(null);
  const [config, setConfig] = useState<ThreadConfig | null>(null);
  const [thread, setThread] = useState<Thread | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [lastRun, setLastRun] = useState<Beat | null>(null);
  const [activity, setActivity] = useState<ActivityEntry[]>([]);
  /** null: not asked yet; false: the last request could not reach the server. */
  const [reachable, setReachable] = useState<boolean | null>(null);
  const nextId = useRef(1);
  const stream = useStreamState();

  const note = useCallback((kind: ActivityEntry["kind"], text: string, at?: string) => {
    const entry: ActivityEntry = { id: nextId.current++, at: at ?? new Date().toISOString(), kind, text };
    setActivity((list) => [entry, ...list].slice(0, MAX_ACTIVITY));
  }, []);

  /** Whether the request reached the server; a failure to reach it marks the status unknown,
   * and the next success clears that (and its banner). */
  const reached = useCallback((failure: unknown, isStatus = false): boolean => {
    if (failure === null) {
      if (isStatus) {
        setReachable(true);
        setError((current: unknown) => (current instanceof ApiError && current.status === 0 ? null : current));
      }
      return true;
    }
    if (failure instanceof ApiError && failure.status === 0) {
      setReachable(false);
    }
    setError(failure);
    return false;
  }, []);

  const loadStatus = useCallback(async (): Promise<boolean> => {
    try {
      setStatus(await api.get<Status>("/api/heartbeat/status"));
      return reached(null, true);
    } catch (failure) {
      return reached(failure, true);
    }
  }, [api, reached]);

  const loadDetail = useCallback(async (): Promise<boolean> => {
    if (selected === null) {
      setThread(null);
      return true;
    }
    try {
      setThread(await api.get<Thread>(`/api/threads/${seg(selected)}`));
      return reached(null);
    } catch (failure) {
      return reached(failure);
    }
  }, [api, selected, reached]);

  /** The config and the thread; the config only on purpose (it resets the form). */
  const loadThread = useCallback(async (): Promise<boolean> => {
    if (selected === null) {
      setConfig(null);
      setThread(null);
      return true;
    }
    let ok: boolean;
    try {
      setConfig(await api.get<ThreadConfig>(`/api/threads/${seg(selected)}/heartbeat/config`));
      ok = reached(null);
    } catch (failure) {
      ok = reached(failure);
    }
    return (await loadDetail()) && ok;
  }, [api, selected, loadDetail, reached]);

  useEffect(() => {
    void loadStatus();
  }, [loadStatus]);
  // The event stream came back: the server is there again, so ask it how things stand.
  useEffect(() => {
    if (stream.state === "live") {
      void loadStatus();
    }
  }, [stream.state, loadStatus]);
  useEffect(() => {
    setLastRun(null);
    void loadThread();
  }, [loadThread]);

  // Live: every beat or scheduler event refreshes the status (coalesced), and is logged.
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useBusEvents(
    (name) => name.startsWith("beat.") || name.startsWith("scheduler.") || name.startsWith("action.") || name === "config.changed" || name === "delivery.failed",
    (event) => {
      const line = describeEvent(event);
      if (line !== null) {
        note(line.kind, line.text, line.at);
      }
      if (pending.current === null) {
        pending.current = setTimeout(() => {
          pending.current = null;
          void loadStatus();
          void loadDetail();
        }, 150);
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

  async function act(label: string, work: () => Promise<void>): Promise<void> {
    setBusy(label);
    setError(null);
    try {
      await work();
    } catch (failure) {
      setError(failure);
      note("error", `${label} failed: ${failure instanceof Error ? failure.message : String(failure)}`);
    } finally {
      setBusy(null);
    }
  }

  const startStop = (start: boolean) =>
    act(start ? "Start scheduler" : "Stop scheduler", async () => {
      setStatus(await api.post<Status>(start ? "/api/heartbeat/start" : "/api/heartbeat/stop"));
      note("ok", start ? "Scheduler start requested" : "Scheduler stop requested");
    });

  const runNow = () =>
    act("Run now", async () => {
      if (selected === null) {
        return;
      }
      const beat = await api.post<Beat>(`/api/threads/${seg(selected)}/heartbeat/run-now`);
      setLastRun(beat);
      note(beat.outcome === "failed" ? "error" : "ok", `Run now on ${selected}: ${beat.outcome ?? beat.status}${beat.skip_reason ? ` (${beat.skip_reason})` : ""}`);
      await loadStatus();
    });

  const refresh = async () => {
    setBusy("Refresh");
    const results = await Promise.all([loadStatus(), loadThread()]);
    await reloadThreads();
    setBusy(null);
    if (results.every(Boolean)) {
      note("info", "Refreshed");
    } else {
      note("error", "Refresh failed: the server did not answer (see the message above)");
    }
  };

  const saveConfig = async (changes: Record<string, unknown>) => {
    if (selected === null) {
      return;
    }
    const updated = await api.post<ThreadConfig>(`/api/threads/${seg(selected)}/heartbeat/config`, changes);
    setConfig(updated);
    note("ok", `Config of ${selected} saved (${Object.keys(changes).join(", ")})`);
    await loadDetail();
  };

  return (
    <div className="view heartbeat-panel">
      <h2>Heartbeat</h2>
      <div className="card">
        <ThreadPicker idPrefix="hb" />
        {loaded && threads.length === 0 ? (
          <p className="note">No threads yet. Create one with “New thread” to configure its heartbeat.</p>
        ) : null}
      </div>

      <div className="card controls">
        <div className="row" role="group" aria-label="Scheduler controls">
          {status?.running ? (
            <button type="button" onClick={() => void startStop(false)} disabled={busy !== null}>
              Stop scheduler
            </button>
          ) : (
            <button type="button" onClick={() => void startStop(true)} disabled={busy !== null || status === null}>
              Start scheduler
            </button>
          )}
          <button type="button" onClick={() => void runNow()} disabled={busy !== null || selected === null}>
            {busy === "Run now" ? "Running…" : "Run now"}
          </button>
          <button type="button" className="secondary" onClick={() => void refresh()} disabled={busy !== null}>
            Refresh
          </button>
        </div>
        <ErrorNote error={error} />
        {lastRun ? <RunResult beat={lastRun} /> : null}
        <StatusArea
          status={status}
          reachable={reachable !== false}
          threadNextDue={thread?.next_due_at ?? null}
          threadEnabled={thread?.enabled ?? true}
          activity={activity}
        />
      </div>

      {config ? (
        <div className="card">
          <ConfigForm config={config} defaultModel={status?.model?.model ?? null} onSave={saveConfig} />
        </div>
      ) : null}
      {selected !== null ? (
        <div className="card">
          <TimePanel threadId={selected} onNote={(text) => note("ok", text)} />
        </div>
      ) : null}
      {config ? (
        <div className="card">
          <RulesForm config={config} onSave={saveConfig} />
        </div>
      ) : null}

      <HeartbeatMdEditor onSaved={(message) => note("ok", message)} />
    </div>
  );
}
