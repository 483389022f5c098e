import { useCallback, useEffect, useId, useMemo, useState } from "react";
import { useApi } from "../../api/context";
import type { HeartbeatFile, HeartbeatHints } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { previewHeartbeat } from "../../lib/heartbeatMd";
import { useUnsavedGuard } from "../../lib/hooks";

const PATH = "/api/heartbeat/heartbeat.md";

function pluralize(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The server's reading of the saved file. */
function ServerHints({ hints }: { hints: HeartbeatHints }) {
  return (
    <div className="server-hints" data-testid="server-hints">
      <h4>Server's reading of the saved file</h4>
      <ul>
        <li>{hints.effectively_empty ? "Effectively empty: interval beats are skipped" : "Has instructions"}</li>
        <li>
          {pluralize(hints.checklist.length, "checklist item")}, {pluralize(hints.rules.length, "rule")},{" "}
          {pluralize(hints.behaviors.length, "behavior")}
        </li>
        <li>
          {hints.tasks.length === 0
            ? "No cadence tasks"
            : `Cadence tasks: ${hints.tasks.map((t) => `${t.name} (${t.cadence})`).join(", ")}`}
        </li>
        {hints.problems.map((p, i) => (
          <li key={i} className="warn">
            {p}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The collapsible HEARTBEAT.md editor with live hints, save and cancel. */
export function HeartbeatMdEditor({ onSaved }: { onSaved: (message: string) => void }) {
  const api = useApi();
  const regionId = useId();
  const [open, setOpen] = useState(false);
  const [file, setFile] = useState<HeartbeatFile | null>(null);
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);

  const load = useCallback(async () => {
    try {
      const loaded = await api.get<HeartbeatFile>(PATH);
      setFile(loaded);
      setDraft(loaded.content);
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  }, [api]);

  useEffect(() => {
    if (open && file === null) {
      void load();
    }
  }, [open, file, load]);

  const preview = useMemo(() => previewHeartbeat(file === null ? null : draft), [draft, file]);
  const dirty = file !== null && draft !== file.content;
  useUnsavedGuard("HEARTBEAT.md", dirty);

  /** Saved on top of the version it was based on: a change made on disk meanwhile is refused
   * (409) with the server's message, and the draft stays. */
  async function save(): Promise<void> {
    setSaving(true);
    setError(null);
    try {
      const written = await api.post<{ version: number | null }>(PATH, { content: draft, base_sha256: file?.sha256 });
      await load();
      onSaved(`HEARTBEAT.md saved (version ${written.version ?? "?"})`);
    } catch (failure) {
      setError(failure);
    } finally {
      setSaving(false);
    }
  }

  return (
    <section className="card md-editor" aria-labelledby={`${regionId}-title`}>
      <h3 id={`${regionId}-title`}>
        <button
          type="button"
          className="disclosure"
          aria-expanded={open}
          aria-controls={`${regionId}-body`}
          onClick={() => setOpen((v) => !v)}
        >
          <span aria-hidden="true">{open ? "▾" : "▸"}</span> HEARTBEAT.md
          {dirty ? <span className="muted"> (unsaved changes)</span> : null}
        </button>
      </h3>
      {open ? (
        <div id={`${regionId}-body`}>
          {file ? (
            <p className="muted">
              {file.path} {file.exists ? `· version ${file.version ?? "—"}` : "· does not exist yet (beats use the default prompt)"}
            </p>
          ) : null}
          <label htmlFor="heartbeat-md-text">HEARTBEAT.md content</label>
          <textarea
            id="heartbeat-md-text"
            className="code"
            rows={16}
            spellCheck={false}
            value={draft}
            disabled={file === null}
            aria-describedby="heartbeat-md-hints"
            onChange={(e) => setDraft(e.target.value)}
          />
          <div className="live-hints" id="heartbeat-md-hints" aria-live="polite" data-testid="live-hints">
            <h4>Live hints</h4>
            <ul>
              <li className={preview.effectivelyEmpty ? "warn" : "ok"} data-testid="hint-empty">
                {preview.effectivelyEmpty
                  ? "Effectively empty: only headings, empty list items and comments, so interval beats will be skipped (empty-heartbeat-file)"
                  : "Has instructions: beats will run"}
              </li>
              <li data-testid="hint-counts">
                {pluralize(preview.checklist.length, "checklist item")}, {pluralize(preview.rules.length, "rule")},{" "}
                {pluralize(preview.behaviors.length, "behavior")}
              </li>
              <li data-testid="hint-tasks">
                {preview.tasks.length === 0
                  ? "No cadence tasks"
                  : `Cadence tasks: ${preview.tasks.map((t) => `${t.heading} (${t.cadence})`).join(", ")}`}
              </li>
              {preview.problems.map((problem, i) => (
                <li key={i} className="warn">
                  {problem}
                </li>
              ))}
            </ul>
          </div>
          <div className="row">
            <button type="button" onClick={() => void save()} disabled={!dirty || saving}>
              {saving ? "Saving…" : "Save HEARTBEAT.md"}
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => file && setDraft(file.content)}
              disabled={!dirty || saving}
            >
              Cancel
            </button>
            <button type="button" className="secondary" onClick={() => void load()} disabled={saving}>
              Reload from server
            </button>
          </div>
          <ErrorNote error={error} label="HEARTBEAT.md" />
          {file ? <ServerHints hints={file.hints} /> : null}
        </div>
      ) : null}
    </section>
  );
}
