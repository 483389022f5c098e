import { createContext, useCallback, useContext, useEffect, useState } from "react";
import type { FormEvent, ReactNode } from "react";
import { useApi } from "../api/context";
import type { FleetPage, Thread } from "../api/types";

/** What the picker needs of a thread. */
export interface ThreadChoice {
  id: string;
  title: string;
}

/** The picker lists this many threads (by id); any other is opened from the fleet overview. */
export const PICKER_LIMIT = 500;
import { confirmLeave } from "../lib/hooks";
import { ErrorNote } from "./ErrorNote";

interface ThreadsValue {
  threads: ThreadChoice[];
  /** How many threads there are in all (the picker may list fewer). */
  total: number;
  loaded: boolean;
  error: unknown;
  selected: string | null;
  select: (id: string | null) => void;
  reload: () => Promise<void>;
  create: (id: string, title: string) => Promise<Thread>;
}

const ThreadsContext = createContext<ThreadsValue | null>(null);

/** The thread list and the selected thread, shared by every view. */
export function ThreadsProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const [threads, setThreads] = useState<ThreadChoice[]>([]);
  const [total, setTotal] = useState(0);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<string | null>(null);

  const reload = useCallback(async () => {
    try {
      const body = await api.get<FleetPage>(`/api/fleet?sort=id&limit=${PICKER_LIMIT}`);
      setThreads(body.items.map((row) => ({ id: row.id, title: row.title })));
      setTotal(body.total);
      setError(null);
      setSelected((current) =>
        current !== null && body.items.some((t) => t.id === current)
          ? current
          : (body.items[0]?.id ?? null),
      );
    } catch (failure) {
      setError(failure);
    } finally {
      setLoaded(true);
    }
  }, [api]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const create = useCallback(
    async (id: string, title: string) => {
      const body: Record<string, string> = { title };
      if (id.trim()) {
        body["id"] = id.trim();
      }
      const thread = await api.post<Thread>("/api/threads", body);
      await reload();
      setSelected(thread.id);
      return thread;
    },
    [api, reload],
  );

  return (
    <ThreadsContext.Provider
      value={{ threads, total, loaded, error, selected, select: setSelected, reload, create }}
    >
      {children}
    </ThreadsContext.Provider>
  );
}

export function useThreads(): ThreadsValue {
  const value = useContext(ThreadsContext);
  if (value === null) {
    throw new Error("useThreads outside ThreadsProvider");
  }
  return value;
}

/** The thread picker with its "New thread" form. */
export function ThreadPicker({ idPrefix }: { idPrefix: string }) {
  const { threads: listed, total, selected, select, create, error } = useThreads();
  // A thread opened from the fleet may be beyond the listed ones: list it too.
  const threads =
    selected !== null && !listed.some((t) => t.id === selected) ? [...listed, { id: selected, title: "" }] : listed;
  const [adding, setAdding] = useState(false);
  const [newId, setNewId] = useState("");
  const [title, setTitle] = useState("");
  const [createError, setCreateError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setCreateError(null);
    try {
      await create(newId, title);
      setAdding(false);
      setNewId("");
      setTitle("");
    } catch (failure) {
      setCreateError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="thread-picker">
      <div className="row">
        <label htmlFor={`${idPrefix}-thread`}>Thread</label>
        <select
          id={`${idPrefix}-thread`}
          value={selected ?? ""}
          onChange={(e) => {
            // Another thread's config would replace unsaved edits of this one: ask first.
            if (confirmLeave()) {
              select(e.target.value || null);
            }
          }}
          disabled={threads.length === 0}
        >
          {threads.length === 0 ? <option value="">(no threads yet)</option> : null}
          {threads.map((t) => (
            <option key={t.id} value={t.id}>
              {t.title ? `${t.title} (${t.id})` : t.id}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="secondary"
          aria-expanded={adding}
          aria-controls={`${idPrefix}-new-thread`}
          onClick={() => setAdding((v) => !v)}
        >
          New thread
        </button>
      </div>
      {total > listed.length ? (
        <p className="hint">
          Listing the first {listed.length} of {total.toLocaleString("en-US")} threads by id; open any other from the{" "}
          <a href="#/fleet">fleet</a>.
        </p>
      ) : null}
      <ErrorNote error={error} label="Threads" />
      {adding ? (
        <form id={`${idPrefix}-new-thread`} className="inline-form" onSubmit={(e) => void submit(e)}>
          <label htmlFor={`${idPrefix}-new-id`}>Thread id (optional)</label>
          <input
            id={`${idPrefix}-new-id`}
            value={newId}
            placeholder="kitchen"
            onChange={(e) => setNewId(e.target.value)}
          />
          <label htmlFor={`${idPrefix}-new-title`}>Title</label>
          <input
            id={`${idPrefix}-new-title`}
            value={title}
            placeholder="Kitchen helper"
            onChange={(e) => setTitle(e.target.value)}
          />
          <button type="submit" disabled={busy}>
            Create thread
          </button>
          <button type="button" className="secondary" onClick={() => setAdding(false)}>
            Cancel
          </button>
          <ErrorNote error={createError} label="New thread" />
        </form>
      ) : null}
    </div>
  );
}
