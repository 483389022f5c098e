import { useCallback, useEffect, useRef, useState } from "react";
import type { FormEvent } from "react";
import { seg } from "../../api/client";
import { useApi, useBusEvents } from "../../api/context";
import type { Message } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { ThreadPicker, useThreads } from "../../components/threads";
import { formatTime } from "../../lib/format";

/** One message; what the model or a person wrote is always shown as text. */
export function MessageItem({ message }: { message: Message }) {
  return (
    <li className={`message message-${message.role}`} data-testid="message">
      <div className="message-head">
        <strong>{message.role}</strong>{" "}
        <span className="muted">
          {formatTime(message.created_at)}
          {message.channel ? ` · ${message.channel}` : ""}
          {message.beat_id ? ` · beat #${message.beat_id}` : ""}
        </span>
      </div>
      <p className="model-text">{message.text}</p>
    </li>
  );
}

/** A thread's messages, live, with a box to write to the agent. */
export function ThreadView() {
  const api = useApi();
  const { selected } = useThreads();
  const [messages, setMessages] = useState<Message[]>([]);
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [sending, setSending] = useState(false);
  const end = useRef<HTMLDivElement | null>(null);

  const load = useCallback(async () => {
    if (selected === null) {
      setMessages([]);
      return;
    }
    try {
      const body = await api.get<{ items: Message[] }>(`/api/threads/${seg(selected)}/messages?limit=200`);
      setMessages(body.items);
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  }, [api, selected]);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => {
    end.current?.scrollIntoView?.({ block: "nearest" });
  }, [messages.length]);

  useBusEvents("message.created", (event) => {
    if (event.data["thread_id"] === selected) {
      void load();
    }
  });

  async function send(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (selected === null || !draft.trim()) {
      return;
    }
    setSending(true);
    setError(null);
    try {
      await api.post(`/api/threads/${seg(selected)}/messages`, { text: draft });
      setDraft("");
    } catch (failure) {
      setError(failure);
    } finally {
      setSending(false);
      await load();
    }
  }

  return (
    <div className="view thread-view">
      <h2>Thread</h2>
      <div className="card">
        <ThreadPicker idPrefix="tv" />
      </div>
      <div className="card">
        <h3>Messages{selected ? ` of ${selected}` : ""}</h3>
        {messages.length === 0 ? <p className="muted">No messages yet.</p> : null}
        <ol className="messages" data-testid="messages" aria-live="polite">
          {messages.map((m) => (
            <MessageItem key={m.id} message={m} />
          ))}
        </ol>
        <div ref={end} />
        <form className="send" onSubmit={(e) => void send(e)}>
          <label htmlFor="message-text">Message to the agent</label>
          <textarea
            id="message-text"
            rows={3}
            value={draft}
            disabled={selected === null}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                e.currentTarget.form?.requestSubmit();
              }
            }}
          />
          <div className="row">
            <button type="submit" disabled={sending || selected === null || !draft.trim()}>
              {sending ? "Waiting for the reply…" : "Send"}
            </button>
            <span className="muted">Ctrl+Enter sends</span>
          </div>
        </form>
        <ErrorNote error={error} label="Messages" />
      </div>
    </div>
  );
}
