import { useCallback, useEffect, useRef, useState } from "react";
import { seg } from "../../api/client";
import { useApi, useBusEvents } from "../../api/context";
import type { Beat, Status, Thread, ThreadConfig } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { OutcomeBadge } from "../../components/OutcomeBadge";
import { ThreadPicker, useThreads } from "../../components/threads";
import { formatMs } from "../../lib/format";
import { ConfigForm } from "./ConfigForm";
import { HeartbeatMdEditor } from "./HeartbeatMdEditor";
import { StatusArea } from "./StatusArea";
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
        {beat.skip_reason ? <> skipped: {beat.skip_reason}</> : null}
        {beat.error ? <> — {beat.error}</> : null}
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
  const nextId = useRef(1);

  const note = useCallback((kind: ActivityEntry["kind"], text: string, at?: string) => {
    const entry: ActivityEntry = { id: nextId.current++, at: at ?? new Date().toISOString(), kind, text };
    setActivity((list) => [entry, ...list].slice(0, MAX_ACTIVITY));
  }, []);

  const loadStatus = useCallback(async () => {
    try {
      setStatus(await api.get<Status>("/api/heartbeat/status"));
    } catch (failure) {
      setError(failure);
    }
  }, [api]);

  const loadDetail = useCallback(async () => {
    if (selected === null) {
      setThread(null);
      return;
    }
    try {
      setThread(await api.get<Thread>(`/api/threads/${seg(selected)}`));
    } catch (failure) {
      setError(failure);
    }
  }, [api, selected]);

  /** The config and the thread; the config only on purpose (it resets the form). */
  const loadThread = useCallback(async () => {
    if (selected === null) {
      setConfig(null);
      setThread(null);
      return;
    }
    try {
      setConfig(await api.get<ThreadConfig>(`/api/threads/${seg(selected)}/heartbeat/config`));
      setError(null);
    } catch (failure) {
      setError(failure);
    }
    await loadDetail();
  }, [api, selected, loadDetail]);

  useEffect(() => {
    void loadStatus();
  }, [loadStatus]);
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

  const refresh = () =>
    act("Refresh", async () => {
      await Promise.all([loadStatus(), loadThread(), reloadThreads()]);
      note("info", "Refreshed");
    });

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
        <StatusArea status={status} threadNextDue={thread?.next_due_at ?? null} activity={activity} />
      </div>

      {config ? (
        <div className="card">
          <ConfigForm config={config} defaultModel={status?.model?.model ?? null} onSave={saveConfig} />
        </div>
      ) : null}

      <HeartbeatMdEditor onSaved={(message) => note("ok", message)} />
    </div>
  );
}
