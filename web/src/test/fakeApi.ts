import { ApiError } from "../api/client";
import type { Api, Method } from "../api/client";
import type { Beat, HeartbeatFile, Status, Thread, ThreadConfig } from "../api/types";

type Handler = (body: unknown) => unknown;

/** An `Api` answering from a table of `"METHOD /path"` → value or function; anything else is
 * a 404 like the server's. Records every call. */
export class FakeApi implements Api {
  readonly token = "test-token";
  readonly calls: { method: Method; path: string; body: unknown }[] = [];
  private readonly routes = new Map<string, Handler>();

  on(route: string, answer: unknown): this {
    this.routes.set(route, typeof answer === "function" ? (answer as Handler) : () => answer);
    return this;
  }

  async request<T>(method: Method, path: string, body?: unknown): Promise<T> {
    this.calls.push({ method, path, body });
    const handler = this.routes.get(`${method} ${path}`) ?? this.routes.get(`${method} ${path.split("?")[0]}`);
    if (handler === undefined) {
      throw new ApiError(404, `no such endpoint: ${method} ${path}`);
    }
    return handler(body) as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  put<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("PUT", path, body);
  }
}

export const NOW = "2026-11-22T10:00:00+00:00";

export function makeBeat(overrides: Partial<Beat> = {}): Beat {
  return {
    id: 1,
    key: `main@${NOW}`,
    thread_id: "main",
    skill: "",
    reason: "manual",
    status: "finished",
    attempt: 1,
    due_at: NOW,
    started_at: NOW,
    finished_at: NOW,
    outcome: "ok-token",
    skip_reason: null,
    error: null,
    prompt_tokens: 10,
    completion_tokens: 2,
    alert_text: null,
    duration_ms: 12.5,
    ...overrides,
  };
}

export const THREAD: Thread = {
  id: "main",
  agent: "default",
  title: "Main",
  enabled: true,
  created_at: NOW,
  config: {},
  next_due_at: "2026-11-22T10:30:00+00:00",
  schedules: [],
};

export const STATUS: Status = {
  running: true,
  loop_alive: true,
  threads: 1,
  in_flight: [],
  next_due_at: "2026-11-22T10:30:00+00:00",
  last_beat: null,
  model: { provider: "openai", model: "fake-model" },
  now: NOW,
};

export function makeConfig(effective: Record<string, unknown> = {}): ThreadConfig {
  const values: Record<string, unknown> = {
    enabled: true,
    every: "30m",
    target: "thread",
    model: null,
    temperature: null,
    max_tokens: null,
    active_hours: null,
    dry_run: false,
    ...effective,
  };
  return {
    thread_id: "main",
    enabled: true,
    overrides: {},
    effective: Object.entries(values).map(([key, value]) => ({ key, value, source: "default" })),
  };
}

export const HEARTBEAT_FILE: HeartbeatFile = {
  agent: "default",
  kind: "heartbeat",
  path: "/ws/HEARTBEAT.md",
  exists: true,
  content: "# HEARTBEAT.md\n",
  version: 1,
  sha256: "0",
  hints: {
    exists: true,
    effectively_empty: true,
    checklist: [],
    rules: [],
    behaviors: [],
    sections: [{ heading: "HEARTBEAT.md", level: 1, cadence: false }],
    tasks: [],
    problems: [],
  },
};

/** A fake server with one thread, `main`, and a heartbeat file. */
export function panelApi(): FakeApi {
  return new FakeApi()
    .on("GET /api/threads", { items: [THREAD] })
    .on("GET /api/fleet", {
      items: [{ id: "main", title: "Main", agent: "default", enabled: true, state: "scheduled", every: "30m", dry_run: false, target: "thread", active_hours: null, next_due_at: THREAD.next_due_at, last_finished_at: null, last_beat: null, failing: false, tokens_today: 0 }],
      total: 1,
      limit: 500,
      offset: 0,
      next_offset: null,
      counts: { disabled: 0, paused: 0, "quiet-hours": 0, overdue: 0, scheduled: 1 },
      threads: 1,
      running: true,
      now: NOW,
    })
    .on("GET /api/threads/main", THREAD)
    .on("GET /api/heartbeat/status", STATUS)
    .on("GET /api/threads/main/heartbeat/config", makeConfig())
    .on("GET /api/heartbeat/heartbeat.md", HEARTBEAT_FILE)
    .on("GET /api/threads/main/schedule", {
      thread_id: "main",
      every: "30m",
      cron: null,
      timezone: "user",
      next_due_at: THREAD.next_due_at,
      next_fires: [],
      quiet_after_message: "0",
      health: { thread_id: "main", state: "healthy", failed_streak: 0 },
      reminders: [],
    });
}
