/** The JSON the soulbeat API sends (see `soulbeat.service.views` and `soulbeat.api.schemas`).
 * Only what the panel reads is typed; the server may add keys. */

export type Outcome = "sent" | "would-send" | "ok-empty" | "ok-token" | "skipped" | "failed" | "interrupted";
/** Every outcome a finished beat can have (`would-send`: a dry-run beat that would have sent). */
export const OUTCOMES: readonly Outcome[] = [
  "sent",
  "would-send",
  "ok-empty",
  "ok-token",
  "skipped",
  "failed",
  "interrupted",
];
/** What the legend and the filters show: the outcomes, and the states of unfinished beats. */
export const LEGEND: readonly string[] = [...OUTCOMES, "deferred", "pending"];

export interface Problem {
  key: string;
  message: string;
  value?: unknown;
  expected?: string | null;
}

export interface ErrorBody {
  error?: string;
  hint?: string | null;
  problems?: Problem[] | null;
  reason?: string;
}

export interface Schedule {
  skill: string;
  next_due_at: string | null;
  last_started_at?: string | null;
  last_finished_at?: string | null;
}

export interface Thread {
  id: string;
  agent: string;
  title: string;
  enabled: boolean;
  created_at: string;
  last_user_message_at?: string | null;
  last_channel?: string | null;
  config: Record<string, unknown>;
  next_due_at?: string | null;
  schedules?: Schedule[] | null;
}

export interface EffectiveRow {
  key: string;
  value: unknown;
  source: string;
}

export interface ThreadConfig {
  thread_id: string;
  enabled: boolean;
  overrides: Record<string, unknown>;
  effective: EffectiveRow[];
}

export interface Beat {
  id: number;
  key: string;
  thread_id: string;
  skill: string;
  reason: string;
  status: string;
  attempt: number;
  due_at: string;
  started_at?: string | null;
  finished_at?: string | null;
  outcome?: string | null;
  skip_reason?: string | null;
  error?: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  alert_text?: string | null;
  tasks_addressed?: string[];
  tasks_unaddressed?: string[];
  duration_ms?: number | null;
  audit?: Record<string, unknown> | null;
  audit_url?: string;
}

export interface BeatPage {
  thread_id: string;
  items: Beat[];
  next_offset: number | null;
}

export interface Status {
  running: boolean;
  loop_alive: boolean;
  threads: number;
  in_flight: string[];
  next_due_at: string | null;
  last_beat: Beat | null;
  model?: { provider?: string; base_url?: string; model?: string };
  now: string;
}

export interface FileView {
  agent: string;
  kind: string;
  path: string;
  exists: boolean;
  content: string;
  version: number | null;
  sha256: string;
}

export interface HeartbeatHints {
  exists: boolean;
  effectively_empty: boolean;
  checklist: string[];
  rules: string[];
  behaviors: string[];
  sections: { heading: string; level: number; cadence: boolean }[];
  tasks: { name: string; cadence: string; kind: string; prompt: string }[];
  problems: string[];
}

export interface HeartbeatFile extends FileView {
  hints: HeartbeatHints;
}

export interface FileVersion {
  version: number;
  sha256: string;
  source?: string;
  created_at?: string;
  chars?: number;
  content?: string;
}

export interface Message {
  id: number;
  thread_id: string;
  role: string;
  text: string;
  created_at: string;
  channel?: string | null;
  beat_id?: number | null;
}

/** One event of `GET /api/events`: the `data:` line's JSON. */
export interface BusEvent {
  id: number;
  name: string;
  at: string;
  data: Record<string, unknown>;
}

export type FleetState = "disabled" | "paused" | "quiet-hours" | "overdue" | "scheduled";

/** One row of `GET /api/fleet`. */
export interface FleetRow {
  id: string;
  title: string;
  agent: string;
  enabled: boolean;
  state: FleetState;
  every: string | null;
  dry_run: boolean;
  target: string | null;
  active_hours: { start: string; end: string; timezone: string } | null;
  next_due_at: string | null;
  last_finished_at: string | null;
  last_beat: Beat | null;
  failing: boolean;
  tokens_today: number;
  /** Issue 16: healthy, failing (a streak) or unhealthy (an episode), with its streak. */
  health?: ThreadHealth;
}

/** A thread's health (issue 16): failure streak, unhealthy episodes, the dead-man deadline. */
export interface ThreadHealth {
  thread_id: string;
  state: "healthy" | "failing" | "unhealthy";
  failed_streak: number;
  reason?: string | null;
  unhealthy_since?: string | null;
  last_ok_at?: string | null;
  dead_at?: string | null;
}

/** A one-shot reminder (issue 16). */
export interface Reminder {
  id: number;
  thread_id: string;
  text: string;
  due_at: string;
  urgent: boolean;
  created_by: "person" | "model";
  status: "pending" | "done" | "cancelled";
  reason: string;
}

/** `GET /api/threads/{tid}/schedule`: when a thread beats (issue 16). */
export interface ThreadSchedule {
  thread_id: string;
  every: string | null;
  cron: string | null;
  timezone: string;
  next_due_at: string | null;
  next_fires: string[];
  quiet_after_message: string;
  health: ThreadHealth;
  reminders: Reminder[];
}

export interface FleetPage {
  items: FleetRow[];
  total: number;
  limit: number;
  offset: number;
  next_offset: number | null;
  counts: Record<FleetState, number>;
  threads: number;
  running: boolean;
  now: string;
}

/** `GET /api/beats`: one page of a search, and how many match in all. */
export interface BeatSearch {
  items: Beat[];
  total: number;
  limit: number;
  offset: number;
  next_offset: number | null;
}

/** One bucket of `GET /api/beats/stats`. */
export interface BeatBucket {
  start: string;
  outcomes: Record<string, number>;
  tokens: number;
  model_beats: number;
  avg_ms: number | null;
  max_ms: number | null;
}
