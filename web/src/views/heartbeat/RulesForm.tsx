import { useEffect, useMemo, useState } from "react";
import type { FormEvent } from "react";
import type { ThreadConfig } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { useUnsavedGuard } from "../../lib/hooks";
import { ACTION_TYPES, LIMITED, rulesChanges, rulesFromConfig } from "./rulesForm";
import type { RulesState } from "./rulesForm";

interface Props {
  config: ThreadConfig;
  onSave: (changes: Record<string, unknown>) => Promise<void>;
}

function toggled(list: string[], item: string, on: boolean): string[] {
  return on ? [...new Set([...list, item])] : list.filter((x) => x !== item);
}

/** Allowed actions, approvals, rate limits, dedupe, context and visibility of one thread. */
export function RulesForm({ config, onSave }: Props) {
  const initial = useMemo(() => rulesFromConfig(config), [config]);
  const [form, setForm] = useState<RulesState>(initial);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  useEffect(() => setForm(initial), [initial]);

  const changes = rulesChanges(initial, form);
  const dirty = Object.keys(changes).length > 0;
  useUnsavedGuard("the rules of this thread", dirty);

  function set<K extends keyof RulesState>(key: K, value: RulesState[K]): void {
    setForm((current) => ({ ...current, [key]: value }));
    setSaved(null);
  }

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!dirty) {
      return;
    }
    setSaving(true);
    setError(null);
    try {
      await onSave(changes);
      setSaved(`Saved: ${Object.keys(changes).join(", ")}`);
    } catch (failure) {
      setError(failure);
    } finally {
      setSaving(false);
    }
  }

  return (
    <form className="rules-form" aria-labelledby="rules-title" onSubmit={(e) => void submit(e)} noValidate>
      <h3 id="rules-title">What {config.thread_id} may do</h3>
      <div className="grid">
        <fieldset>
          <legend>Allowed actions</legend>
          {ACTION_TYPES.map((kind) => (
            <div className="field check" key={kind}>
              <input
                id={`rules-allow-${kind}`}
                type="checkbox"
                checked={form.allowed.includes(kind)}
                onChange={(e) => set("allowed", toggled(form.allowed, kind, e.target.checked))}
              />
              <label htmlFor={`rules-allow-${kind}`}>{kind}</label>
            </div>
          ))}
        </fieldset>
        <fieldset>
          <legend>Wait for a person's approval</legend>
          {LIMITED.map((kind) => (
            <div className="field check" key={kind}>
              <input
                id={`rules-approve-${kind}`}
                type="checkbox"
                checked={form.approval.includes(kind)}
                onChange={(e) => set("approval", toggled(form.approval, kind, e.target.checked))}
              />
              <label htmlFor={`rules-approve-${kind}`}>{kind}</label>
            </div>
          ))}
        </fieldset>
        <fieldset>
          <legend>Rate limits</legend>
          {LIMITED.map((kind) => (
            <div className="field" key={kind}>
              <label htmlFor={`rules-limit-${kind}`}>{kind}</label>
              <input
                id={`rules-limit-${kind}`}
                value={form.limits[kind] ?? ""}
                placeholder="no limit"
                spellCheck={false}
                aria-describedby="rules-limit-hint"
                onChange={(e) => set("limits", { ...form.limits, [kind]: e.target.value })}
              />
            </div>
          ))}
          <p className="hint" id="rules-limit-hint">
            max/period, comma-separated: 1/20s, 50/1d. Empty: no limit.
          </p>
        </fieldset>
        <fieldset>
          <legend>Replies</legend>
          <div className="field">
            <label htmlFor="rules-dedupe">Duplicate alerts</label>
            <select id="rules-dedupe" value={form.dedupe} onChange={(e) => set("dedupe", e.target.value)}>
              <option value="exact">exact: skip the same alert within 24 h</option>
              <option value="fuzzy">fuzzy: also ignore case, numbers and times</option>
              <option value="off">off: send every alert</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="rules-context">Context</label>
            <select id="rules-context" value={form.context} onChange={(e) => set("context", e.target.value)}>
              <option value="light">light: HEARTBEAT.md, USER.md, MEMORY.md, new messages</option>
              <option value="full">full: every bootstrap file and the transcript</option>
            </select>
          </div>
          <div className="field check">
            <input id="rules-show-ok" type="checkbox" checked={form.showOk} onChange={(e) => set("showOk", e.target.checked)} />
            <label htmlFor="rules-show-ok">Send HEARTBEAT_OK on acknowledgements</label>
          </div>
          <div className="field check">
            <input id="rules-show-alerts" type="checkbox" checked={form.showAlerts} onChange={(e) => set("showAlerts", e.target.checked)} />
            <label htmlFor="rules-show-alerts">Deliver alerts</label>
          </div>
          <div className="field check">
            <input id="rules-indicator" type="checkbox" checked={form.useIndicator} onChange={(e) => set("useIndicator", e.target.checked)} />
            <label htmlFor="rules-indicator">Add an ok / alert / error indicator</label>
          </div>
        </fieldset>
      </div>
      <div className="row">
        <button type="submit" disabled={saving || !dirty}>
          {saving ? "Saving…" : "Save rules"}
        </button>
        <button type="button" className="secondary" disabled={!dirty || saving} onClick={() => setForm(initial)}>
          Discard changes
        </button>
        {saved ? (
          <span className="ok" role="status">
            {saved}
          </span>
        ) : null}
      </div>
      <ErrorNote error={error} label="The server refused the rules" />
    </form>
  );
}
