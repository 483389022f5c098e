import { useCallback, useEffect, useState } from "react";
import type { FormEvent } from "react";
import { seg } from "../../api/client";
import { useApi, useBusEvents } from "../../api/context";
import type { Reminder, ThreadSchedule } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { formatTime } from "../../lib/format";

type When = "in" | "at";

/** Issue 16: when a thread beats (every or cron with its next five fires), its health, and its
 * one-shot reminders — listed, cancellable, and a form to add one. */
export function TimePanel({ threadId, onNote }: { threadId: string; onNote?: (text: string) => void }) {
  const api = useApi();
  const [schedule, setSchedule] = useState<ThreadSchedule | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [text, setText] = useState("");
  const [when, setWhen] = useState<When>("in");
  const [value, setValue] = useState("2h");
  const [urgent, setUrgent] = useState(false);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setSchedule(await api.get<ThreadSchedule>(`/api/threads/${seg(threadId)}/schedule`));
    } catch (failure) {
      setError(failure);
    }
  }, [api, threadId]);

  useEffect(() => {
    void load();
  }, [load]);
  useBusEvents(
    (name) => name === "beat.finished" || name.startsWith("thread.") || name === "config.changed",
    () => void load(),
  );

  async function add(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = { text, urgent, [when]: value };
      const made = await api.post<Reminder>(`/api/threads/${seg(threadId)}/reminders`, body);
      onNote?.(`Reminder ${made.id} set for ${formatTime(made.due_at)}`);
      setText("");
      await load();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  async function cancel(reminder: Reminder) {
    setError(null);
    try {
      await api.request<Reminder>("DELETE", `/api/threads/${seg(threadId)}/reminders/${reminder.id}`);
      onNote?.(`Reminder ${reminder.id} cancelled`);
      await load();
    } catch (failure) {
      setError(failure);
    }
  }

  const health = schedule?.health;
  return (
    <section className="time-panel" aria-label="When it beats">
      <h3>When it beats</h3>
      {schedule ? (
        <dl className="pairs">
          <dt>Cadence</dt>
          <dd data-testid="cadence">
            {schedule.cron ? `cron ${schedule.cron} (${schedule.timezone})` : `every ${schedule.every ?? "—"}`}
          </dd>
          <dt>Next beat</dt>
          <dd>{schedule.next_due_at ? formatTime(schedule.next_due_at) : "none planned"}</dd>
          {schedule.next_fires.length > 0 ? (
            <>
              <dt>Next fires</dt>
              <dd>
                <ol className="next-fires" data-testid="next-fires">
                  {schedule.next_fires.map((fire) => (
                    <li key={fire}>
                      <time dateTime={fire}>{formatTime(fire)}</time>
                    </li>
                  ))}
                </ol>
              </dd>
            </>
          ) : null}
          <dt>Health</dt>
          <dd data-testid="health" className={health?.state === "unhealthy" ? "bad" : undefined}>
            {health ? `${health.state}${health.failed_streak > 0 ? ` · ${health.failed_streak} failed in a row` : ""}` : "—"}
          </dd>
        </dl>
      ) : null}
      <ErrorNote error={error} />
      <h4>Reminders</h4>
      {schedule && schedule.reminders.length > 0 ? (
        <ul className="reminders" data-testid="reminders">
          {schedule.reminders.map((reminder) => (
            <li key={reminder.id}>
              <time dateTime={reminder.due_at}>{formatTime(reminder.due_at)}</time> — {reminder.text}
              {reminder.created_by === "model" ? <span className="tag">by the model</span> : null}
              {reminder.urgent ? <span className="tag">urgent</span> : null}{" "}
              <button type="button" className="secondary" onClick={() => void cancel(reminder)}>
                Cancel reminder {reminder.id}
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No pending reminders.</p>
      )}
      <form className="reminder-form" onSubmit={(event) => void add(event)}>
        <label>
          Remind about
          <input value={text} onChange={(e) => setText(e.target.value)} required maxLength={2000} />
        </label>
        <label>
          When
          <select value={when} onChange={(e) => setWhen(e.target.value as When)}>
            <option value="in">in (e.g. 2h)</option>
            <option value="at">at (e.g. 2026-12-08T08:00)</option>
          </select>
        </label>
        <label>
          {when === "in" ? "Remind in" : "Remind at"}
          <input value={value} onChange={(e) => setValue(e.target.value)} required />
        </label>
        <label>
          <input type="checkbox" checked={urgent} onChange={(e) => setUrgent(e.target.checked)} />
          Urgent (also outside active hours)
        </label>
        <button type="submit" disabled={busy || text.trim() === ""}>
          Add reminder
        </button>
      </form>
    </section>
  );
}
