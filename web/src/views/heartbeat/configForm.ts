import type { ThreadConfig } from "../../api/types";
import { describeDuration, parseInterval } from "../../lib/interval";

export const INTERVAL_PRESETS: readonly { value: string; label: string }[] = [
  { value: "5m", label: "every 5 minutes" },
  { value: "15m", label: "every 15 minutes" },
  { value: "30m", label: "every 30 minutes" },
  { value: "1h", label: "every hour" },
  { value: "4h", label: "every 4 hours" },
  { value: "1d", label: "every day" },
];
export const CUSTOM = "custom";

export interface ConfigFormState {
  enabled: boolean;
  everyChoice: string;
  everyCustom: string;
  target: string;
  model: string;
  maxTokens: string;
  temperature: string;
  dryRun: boolean;
  hoursOn: boolean;
  start: string;
  end: string;
  timezone: string;
}

export type FormErrors = Partial<Record<"every" | "max_tokens" | "temperature" | "active_hours.start" | "active_hours.end", string>>;

function text(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}

/** The effective value and source of each key. */
export function effectiveMap(config: ThreadConfig): Map<string, { value: unknown; source: string }> {
  return new Map(config.effective.map((row) => [row.key, { value: row.value, source: row.source }]));
}

export function formFromConfig(config: ThreadConfig): ConfigFormState {
  const rows = effectiveMap(config);
  const value = (key: string): unknown => rows.get(key)?.value;
  const every = text(value("every")) || "30m";
  const preset = INTERVAL_PRESETS.some((p) => p.value === every);
  const hours = value("active_hours");
  const hoursObj = hours !== null && typeof hours === "object" ? (hours as Record<string, unknown>) : null;
  return {
    enabled: config.enabled,
    everyChoice: preset ? every : CUSTOM,
    everyCustom: preset ? "" : every,
    target: text(value("target")) || "thread",
    model: text(value("model")),
    maxTokens: text(value("max_tokens")),
    temperature: text(value("temperature")),
    dryRun: value("dry_run") === true,
    hoursOn: hoursObj !== null,
    start: text(hoursObj?.["start"]) || "09:00",
    end: text(hoursObj?.["end"]) || "17:00",
    timezone: text(hoursObj?.["timezone"]) || "user",
  };
}

export function everyText(form: ConfigFormState): string {
  return form.everyChoice === CUSTOM ? form.everyCustom.trim() : form.everyChoice;
}

const CLOCK = /^(?:[01][0-9]|2[0-3]):[0-5][0-9]$/;

/** What the browser can tell is wrong before asking the server (which checks everything). */
export function validateForm(form: ConfigFormState): FormErrors {
  const errors: FormErrors = {};
  const every = parseInterval(everyText(form));
  if (every.kind === "invalid") {
    errors.every = every.message;
  } else if (every.kind === "interval" && every.ms < 1000) {
    errors.every = `every: ${JSON.stringify(every.text)} is shorter than 1 second (the shortest interval is 1s; 0m disables)`;
  }
  const maxTokens = form.maxTokens.trim();
  if (maxTokens && !/^[0-9]+$/.test(maxTokens)) {
    errors.max_tokens = `max_tokens: ${JSON.stringify(maxTokens)} is not a whole number (example: 200)`;
  } else if (maxTokens && Number(maxTokens) < 1) {
    errors.max_tokens = "max_tokens: must be at least 1";
  }
  const temperature = form.temperature.trim();
  if (temperature && !(Number.isFinite(Number(temperature)) && /^[0-9.]+$/.test(temperature))) {
    errors.temperature = `temperature: ${JSON.stringify(temperature)} is not a number (0 to 2)`;
  } else if (temperature && Number(temperature) > 2) {
    errors.temperature = "temperature: must be between 0 and 2";
  }
  if (form.hoursOn) {
    if (!CLOCK.test(form.start.trim())) {
      errors["active_hours.start"] = `active_hours.start: ${JSON.stringify(form.start)} is not a time (HH:MM, 24-hour, e.g. 09:00)`;
    }
    const end = form.end.trim();
    if (!CLOCK.test(end) && end !== "24:00") {
      errors["active_hours.end"] = `active_hours.end: ${JSON.stringify(form.end)} is not a time (HH:MM, 24-hour, or 24:00)`;
    }
  }
  return errors;
}

/** A hint under the interval: what it means, or that it disables the heartbeat. */
export function intervalHint(form: ConfigFormState): string {
  const every = parseInterval(everyText(form));
  if (every.kind === "interval") {
    if (every.ms >= 1000 && every.ms < 30_000) {
      return `= ${describeDuration(every.ms)}. Warning: under 30 seconds a beat may still be running when the next is due, and every beat calls the model`;
    }
    return `= ${describeDuration(every.ms)}`;
  }
  if (every.kind === "disabled") {
    return "0 disables the heartbeat of this thread";
  }
  return "";
}

function hoursOf(form: ConfigFormState): Record<string, string> | null {
  if (!form.hoursOn) {
    return null;
  }
  return { start: form.start.trim(), end: form.end.trim(), timezone: form.timezone.trim() || "user" };
}

/** The body for `POST …/heartbeat/config`: only what changed since `initial`; a field emptied
 * is sent as null so the thread falls back to the lower layers. */
export function configChanges(initial: ConfigFormState, form: ConfigFormState): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  if (form.enabled !== initial.enabled) {
    changes["enabled"] = form.enabled;
  }
  if (everyText(form) !== everyText(initial)) {
    changes["every"] = everyText(form);
  }
  const strings: [keyof ConfigFormState, string][] = [
    ["target", "target"],
    ["model", "model"],
  ];
  for (const [field, key] of strings) {
    const now = String(form[field]).trim();
    if (now !== String(initial[field]).trim()) {
      changes[key] = now === "" ? null : now;
    }
  }
  const numbers: [keyof ConfigFormState, string][] = [
    ["maxTokens", "max_tokens"],
    ["temperature", "temperature"],
  ];
  for (const [field, key] of numbers) {
    const now = String(form[field]).trim();
    if (now !== String(initial[field]).trim()) {
      changes[key] = now === "" ? null : Number(now);
    }
  }
  if (form.dryRun !== initial.dryRun) {
    changes["dry_run"] = form.dryRun;
  }
  if (JSON.stringify(hoursOf(form)) !== JSON.stringify(hoursOf(initial))) {
    changes["active_hours"] = hoursOf(form);
  }
  return changes;
}
