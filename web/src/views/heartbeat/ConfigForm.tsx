import { useEffect, useMemo, useState } from "react";
import type { FormEvent, ReactNode } from "react";
import type { ThreadConfig } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { useUnsavedGuard } from "../../lib/hooks";
import {
  CUSTOM,
  INTERVAL_PRESETS,
  configChanges,
  effectiveMap,
  formFromConfig,
  intervalHint,
  validateForm,
} from "./configForm";
import type { ConfigFormState } from "./configForm";

interface Props {
  config: ThreadConfig;
  defaultModel: string | null;
  onSave: (changes: Record<string, unknown>) => Promise<void>;
}

const TIMEZONES = ["user", "local", "UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Tokyo"];

/** The seed's controls: enable, interval, target, model, max tokens, temperature, dry-run and
 * active hours, saved together; the API's refusal (422) is shown with the key it names. */
export function ConfigForm({ config, defaultModel, onSave }: Props) {
  const initial = useMemo(() => formFromConfig(config), [config]);
  const sources = useMemo(() => effectiveMap(config), [config]);
  const [form, setForm] = useState<ConfigFormState>(initial);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);

  useEffect(() => {
    setForm(initial);
  }, [initial]);

  const errors = validateForm(form);
  const changes = configChanges(initial, form);
  const dirty = Object.keys(changes).length > 0;
  const invalid = Object.keys(errors).length > 0;
  useUnsavedGuard("the heartbeat config", dirty);

  function set<K extends keyof ConfigFormState>(key: K, value: ConfigFormState[K]): void {
    setForm((current) => ({ ...current, [key]: value }));
    setSaved(null);
  }

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (invalid || !dirty) {
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

  const source = (key: string): ReactNode => {
    const row = sources.get(key);
    return row ? <span className={`source source-${row.source}`}>{row.source}</span> : null;
  };
  const fieldError = (key: keyof typeof errors, id: string): ReactNode =>
    errors[key] ? (
      <p className="field-error" id={id} role="alert">
        {errors[key]}
      </p>
    ) : null;

  return (
    <form className="config-form" onSubmit={(e) => void submit(e)} aria-labelledby="config-title" noValidate>
      <h3 id="config-title">Heartbeat config of {config.thread_id}</h3>
      <div className="field check">
        <input
          id="hb-enabled"
          type="checkbox"
          role="switch"
          checked={form.enabled}
          onChange={(e) => set("enabled", e.target.checked)}
        />
        <label htmlFor="hb-enabled">Heartbeat enabled for this thread</label>
      </div>

      <div className="grid">
        <div className="field">
          <label htmlFor="hb-every">Interval {source("every")}</label>
          <select id="hb-every" value={form.everyChoice} onChange={(e) => set("everyChoice", e.target.value)}>
            {INTERVAL_PRESETS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.value} — {p.label}
              </option>
            ))}
            <option value={CUSTOM}>custom…</option>
          </select>
          {form.everyChoice === CUSTOM ? (
            <>
              <label htmlFor="hb-every-custom">Custom interval</label>
              <input
                id="hb-every-custom"
                value={form.everyCustom}
                placeholder="2h30m"
                spellCheck={false}
                aria-invalid={errors.every ? true : undefined}
                aria-describedby="hb-every-hint hb-every-error"
                onChange={(e) => set("everyCustom", e.target.value)}
              />
            </>
          ) : null}
          <p className="hint" id="hb-every-hint">
            {intervalHint(form)}
          </p>
          {fieldError("every", "hb-every-error")}
        </div>

        <div className="field">
          <label htmlFor="hb-target">Target {source("target")}</label>
          <input
            id="hb-target"
            list="hb-targets"
            value={form.target}
            spellCheck={false}
            onChange={(e) => set("target", e.target.value)}
          />
          <datalist id="hb-targets">
            <option value="thread" />
            <option value="last" />
            <option value="none" />
          </datalist>
          <p className="hint">thread, last, none, or a configured channel</p>
        </div>

        <div className="field">
          <label htmlFor="hb-model">Model {source("model")}</label>
          <input
            id="hb-model"
            value={form.model}
            placeholder={defaultModel ?? "server default"}
            spellCheck={false}
            onChange={(e) => set("model", e.target.value)}
          />
        </div>

        <div className="field">
          <label htmlFor="hb-max-tokens">Max tokens {source("max_tokens")}</label>
          <input
            id="hb-max-tokens"
            inputMode="numeric"
            value={form.maxTokens}
            placeholder="model default"
            aria-invalid={errors.max_tokens ? true : undefined}
            aria-describedby="hb-max-tokens-error"
            onChange={(e) => set("maxTokens", e.target.value)}
          />
          {fieldError("max_tokens", "hb-max-tokens-error")}
        </div>

        <div className="field">
          <label htmlFor="hb-temperature">Temperature {source("temperature")}</label>
          <input
            id="hb-temperature"
            inputMode="decimal"
            value={form.temperature}
            placeholder="model default"
            aria-invalid={errors.temperature ? true : undefined}
            aria-describedby="hb-temperature-error"
            onChange={(e) => set("temperature", e.target.value)}
          />
          {fieldError("temperature", "hb-temperature-error")}
        </div>

        <div className="field check">
          <input
            id="hb-dry-run"
            type="checkbox"
            checked={form.dryRun}
            onChange={(e) => set("dryRun", e.target.checked)}
          />
          <label htmlFor="hb-dry-run">Dry run (record what it would do, do nothing) {source("dry_run")}</label>
        </div>
      </div>

      <fieldset className="hours">
        <legend>Active hours {source("active_hours")}</legend>
        <div className="field check">
          <input
            id="hb-hours-on"
            type="checkbox"
            checked={form.hoursOn}
            onChange={(e) => set("hoursOn", e.target.checked)}
          />
          <label htmlFor="hb-hours-on">Only beat within active hours</label>
        </div>
        <div className="grid three">
          <div className="field">
            <label htmlFor="hb-hours-start">Start</label>
            <input
              id="hb-hours-start"
              value={form.start}
              placeholder="09:00"
              disabled={!form.hoursOn}
              aria-invalid={errors["active_hours.start"] ? true : undefined}
              onChange={(e) => set("start", e.target.value)}
            />
            {fieldError("active_hours.start", "hb-hours-start-error")}
          </div>
          <div className="field">
            <label htmlFor="hb-hours-end">End</label>
            <input
              id="hb-hours-end"
              value={form.end}
              placeholder="17:00"
              disabled={!form.hoursOn}
              aria-invalid={errors["active_hours.end"] ? true : undefined}
              onChange={(e) => set("end", e.target.value)}
            />
            {fieldError("active_hours.end", "hb-hours-end-error")}
          </div>
          <div className="field">
            <label htmlFor="hb-hours-tz">Timezone</label>
            <input
              id="hb-hours-tz"
              list="hb-timezones"
              value={form.timezone}
              placeholder="user"
              spellCheck={false}
              disabled={!form.hoursOn}
              onChange={(e) => set("timezone", e.target.value)}
            />
            <datalist id="hb-timezones">
              {TIMEZONES.map((zone) => (
                <option key={zone} value={zone} />
              ))}
            </datalist>
          </div>
        </div>
        <p className="hint">Start inclusive, end exclusive; 22:00–06:00 runs overnight; 24:00 is the end of the day.</p>
      </fieldset>

      <div className="row">
        <button type="submit" disabled={saving || invalid || !dirty}>
          {saving ? "Saving…" : "Save config"}
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
      <ErrorNote error={error} label="The server refused the config" />
    </form>
  );
}
