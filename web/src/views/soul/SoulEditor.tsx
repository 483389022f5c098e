import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError } from "../../api/client";
import { useApi, useBusEvents } from "../../api/context";
import type { FileVersion, FileView } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { formatTime } from "../../lib/format";
import { useUnsavedGuard } from "../../lib/hooks";
import { DiffView } from "./DiffView";

const BASE = "/api/soul";

interface Selected {
  version: number;
  diff: string;
  content: string | null;
}

/** SOUL.md: edit and save, every version with its diff to the file now, and rollback. */
export function SoulEditor() {
  const api = useApi();
  const [file, setFile] = useState<FileView | null>(null);
  const [draft, setDraft] = useState("");
  const [versions, setVersions] = useState<FileVersion[]>([]);
  const [selected, setSelected] = useState<Selected | null>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** The file changed on disk while this draft was being edited: the save was refused. */
  const [conflict, setConflict] = useState<string | null>(null);

  const shown = useRef<FileView | null>(null);
  /** Load the file; the draft follows it unless the person has started editing (a reload that
   * lands mid-edit must not eat their text), or `force` (they chose to drop it). */
  const load = useCallback(async (force = false) => {
    try {
      const [now, list] = await Promise.all([
        api.get<FileView>(BASE),
        api.get<{ items: FileVersion[] }>(`${BASE}/versions`),
      ]);
      const before = shown.current;
      shown.current = now;
      setFile(now);
      setDraft((current) => (force || before === null || current === before.content ? now.content : current));
      setConflict(null);
      setVersions(list.items);
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  }, [api]);

  useEffect(() => {
    void load();
  }, [load]);

  useBusEvents("soul.changed", () => {
    if (file !== null && draft === file.content) {
      void load();
    }
  });

  async function run(work: () => Promise<void>): Promise<void> {
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      await work();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  /** Save the draft on top of the file it was based on; a change made meanwhile (on disk or
   * elsewhere) is a conflict, shown with both ways out, never silently overwritten. */
  const save = (base: string | undefined = file?.sha256) =>
    run(async () => {
      try {
        const written = await api.put<FileView>(BASE, { content: draft, base_sha256: base });
        setSelected(null);
        await load();
        setMessage(`SOUL.md saved as version ${written.version ?? "?"}`);
      } catch (failure) {
        if (failure instanceof ApiError && failure.status === 409) {
          setConflict(failure.message);
          return;
        }
        throw failure;
      }
    });

  const overwrite = () =>
    run(async () => {
      const now = await api.get<FileView>(BASE);
      const written = await api.put<FileView>(BASE, { content: draft, base_sha256: now.sha256 });
      setSelected(null);
      await load();
      setMessage(`SOUL.md saved as version ${written.version ?? "?"} (over the change on disk)`);
    });

  const show = (version: number) =>
    run(async () => {
      const [diff, one] = await Promise.all([
        api.get<{ diff: string }>(`${BASE}/diff?from=${version}`),
        api.get<FileVersion>(`${BASE}/versions/${version}`),
      ]);
      setSelected({ version, diff: diff.diff, content: one.content ?? null });
    });

  const rollback = (version: number) =>
    run(async () => {
      const written = await api.post<FileView>(`${BASE}/rollback`, { version });
      setConfirming(null);
      setSelected(null);
      await load();
      setMessage(`Rolled back to version ${version}: now version ${written.version ?? "?"}`);
    });

  const dirty = file !== null && draft !== file.content;
  useUnsavedGuard("SOUL.md", dirty);

  return (
    <div className="view soul">
      <h2>SOUL.md</h2>
      <div className="card">
        {file ? (
          <p className="muted" data-testid="soul-meta">
            {file.path} · {file.exists ? `version ${file.version ?? "—"}` : "does not exist yet"}
          </p>
        ) : null}
        <label htmlFor="soul-text">SOUL.md content</label>
        <textarea
          id="soul-text"
          className="code"
          rows={18}
          spellCheck={false}
          value={draft}
          disabled={file === null}
          onChange={(e) => setDraft(e.target.value)}
        />
        <div className="row">
          <button type="button" onClick={() => void save()} disabled={!dirty || busy}>
            Save SOUL.md
          </button>
          <button type="button" className="secondary" onClick={() => file && setDraft(file.content)} disabled={!dirty || busy}>
            Cancel
          </button>
          {message ? (
            <span className="ok" role="status" data-testid="soul-message">
              {message}
            </span>
          ) : null}
        </div>
        {conflict ? (
          <div className="note note-error" role="alert" data-testid="soul-conflict">
            <strong>Not saved: </strong>
            {conflict}. Your text is still in the editor.
            <div className="row">
              <button type="button" className="secondary" onClick={() => void load(true)} disabled={busy}>
                Load the file now (drop my text)
              </button>
              <button type="button" className="danger" onClick={() => void overwrite()} disabled={busy}>
                Save my text over it
              </button>
            </div>
          </div>
        ) : null}
        <ErrorNote error={error} label="SOUL.md" />
      </div>

      <div className="card">
        <h3>Versions</h3>
        {versions.length === 0 ? <p className="muted">No versions recorded yet.</p> : null}
        <div className="table-wrap">
        <table className="versions" data-testid="soul-versions">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Recorded</th>
              <th scope="col">Source</th>
              <th scope="col" className="num">
                Characters
              </th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.version} aria-current={file?.version === v.version ? "true" : undefined}>
                <td>
                  v{v.version}
                  {file?.version === v.version ? <span className="muted"> (current)</span> : null}
                </td>
                <td data-label="Recorded">{formatTime(v.created_at)}</td>
                <td data-label="Source">{v.source ?? ""}</td>
                <td data-label="Characters" className="num">
                  {v.chars ?? ""}
                </td>
                <td className="row">
                  <button type="button" className="secondary" onClick={() => void show(v.version)} disabled={busy}>
                    Diff v{v.version} → now
                  </button>
                  {file?.version !== v.version ? (
                    confirming === v.version ? (
                      <>
                        <button type="button" className="danger" onClick={() => void rollback(v.version)} disabled={busy}>
                          Confirm rollback to v{v.version}
                        </button>
                        <button type="button" className="secondary" onClick={() => setConfirming(null)}>
                          Keep current
                        </button>
                      </>
                    ) : (
                      <button type="button" onClick={() => setConfirming(v.version)} disabled={busy}>
                        Roll back to v{v.version}
                      </button>
                    )
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      </div>

      {selected ? (
        <div className="card">
          <h3>
            Version {selected.version} compared with the file now
          </h3>
          <DiffView diff={selected.diff} />
          {selected.content !== null ? (
            <details>
              <summary>Content of version {selected.version}</summary>
              <pre className="code">{selected.content}</pre>
            </details>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
