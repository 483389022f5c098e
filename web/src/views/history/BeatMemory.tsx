import type { ReactNode } from "react";

type Json = Record<string, unknown>;

function obj(value: unknown): Json {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function names(value: unknown): string {
  const found = list(value).map((item) => (typeof item === "string" ? item : String(obj(item)["task"] ?? "")));
  return found.filter(Boolean).join(", ") || "—";
}

/** Issue 15: the due tasks a beat addressed or left, its memory edits and its tool calls. */
export function BeatMemory({ audit }: { audit: Json }): ReactNode {
  const tasks = obj(audit["tasks"]);
  const memory = obj(audit["memory"]);
  const tools = obj(audit["tools"]);
  const calls = list(tools["calls"]).map(obj);
  const edits = list(memory["edits"]).map(obj);
  const servers = list(tools["servers"]).map(obj);
  if (!audit["tasks"] && !audit["memory"] && !audit["tools"]) {
    return null;
  }
  const unaddressed = list(tasks["unaddressed"]);
  return (
    <div data-testid="beat-memory">
      <dl className="facts">
        <div>
          <dt>Tasks due</dt>
          <dd>{names(tasks["due"])}</dd>
        </div>
        <div>
          <dt>Addressed</dt>
          <dd>{names(tasks["addressed"])}</dd>
        </div>
        <div>
          <dt>Not addressed</dt>
          <dd className={unaddressed.length ? "warn" : undefined} data-testid="beat-unaddressed">
            {names(unaddressed)}
          </dd>
        </div>
        <div>
          <dt>Scratch</dt>
          <dd>revision {String(memory["scratch_revision"] ?? 0)}</dd>
        </div>
      </dl>
      {edits.length ? (
        <ul>
          {edits.map((edit, i) => (
            <li key={i}>
              {String(edit["kind"])}: {String(edit["status"])}
              {edit["detail"] ? ` (${String(edit["detail"])})` : ""}
            </li>
          ))}
        </ul>
      ) : null}
      {servers
        .filter((server) => server["ok"] === false)
        .map((server, i) => (
          <p key={i} className="warn">
            MCP server {String(server["server"])} left out: {String(server["error"])}
          </p>
        ))}
      {calls.length ? (
        <ul data-testid="beat-tool-calls">
          {calls.map((call, i) => (
            <li key={i}>
              <code>{String(call["tool"])}</code> {call["ok"] ? "ok" : "failed"}
              <pre className="model-text">{String(call["answer"] ?? "")}</pre>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
