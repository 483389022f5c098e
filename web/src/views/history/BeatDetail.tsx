import { useEffect, useState } from "react";
import type { ReactNode } from "react";
import { useApi } from "../../api/context";
import type { Beat } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { OutcomeBadge } from "../../components/OutcomeBadge";
import { asText, formatMs, formatTime } from "../../lib/format";
import { BeatMemory } from "./BeatMemory";

type Json = Record<string, unknown>;

function obj(value: unknown): Json {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string {
  return typeof value === "string" ? value : value === null || value === undefined ? "" : String(value);
}

function Section({ title, children, open = true }: { title: string; children: ReactNode; open?: boolean }) {
  return (
    <details className="card detail-section" open={open}>
      <summary>
        <h3>{title}</h3>
      </summary>
      {children}
    </details>
  );
}

/** One beat's whole audit record (SPEC §7.4). Everything from the model or the ledger is text. */
export function BeatDetail({ beatId }: { beatId: number }) {
  const api = useApi();
  const [beat, setBeat] = useState<Beat | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    setBeat(null);
    api
      .get<Beat>(`/api/beats/${beatId}`)
      .then((found) => live && setBeat(found))
      .catch((failure: unknown) => live && setError(failure));
    return () => {
      live = false;
    };
  }, [api, beatId]);

  if (error) {
    return (
      <div className="view">
        <a href="#/history">← History</a>
        <ErrorNote error={error} label={`Beat #${beatId}`} />
      </div>
    );
  }
  if (beat === null) {
    return <p className="muted">Loading beat #{beatId}…</p>;
  }
  const audit = obj(beat.audit);
  const prompt = obj(audit["prompt"]);
  const tokens = obj(audit["tokens"]);
  const reply = obj(audit["reply"]);
  const rounds = list(audit["rounds"]).map(obj);
  const actions = list(audit["actions"]).map(obj);
  const deliveries = list(audit["deliveries"]).map(obj);
  const warnings = list(audit["truncation_warnings"]);
  const guards = list(audit["guards_passed"]).map(str);

  return (
    <div className="view beat-detail" data-testid="beat-detail">
      <a href="#/history">← History</a>
      <h2>
        Beat #{beat.id} <OutcomeBadge outcome={beat.outcome} status={beat.status} />
      </h2>
      <div className="card">
        <dl className="facts">
          <div>
            <dt>Thread</dt>
            <dd>{beat.skill ? `${beat.thread_id} / ${beat.skill}` : beat.thread_id}</dd>
          </div>
          <div>
            <dt>Reason</dt>
            <dd>{beat.reason}</dd>
          </div>
          <div>
            <dt>Skip reason</dt>
            <dd>{beat.skip_reason ?? "—"}</dd>
          </div>
          <div>
            <dt>Error</dt>
            <dd>{beat.error || str(audit["error"]) || "—"}</dd>
          </div>
          <div>
            <dt>Model</dt>
            <dd>{str(audit["answered_by"]) || str(audit["model"]) || "—"}</dd>
          </div>
          <div>
            <dt>Indicator</dt>
            <dd>{str(audit["indicator"]) || "—"}</dd>
          </div>
        </dl>
      </div>

      <Section title="Timings">
        <dl className="facts">
          <div>
            <dt>Due</dt>
            <dd>{formatTime(beat.due_at)}</dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>{formatTime(beat.started_at)}</dd>
          </div>
          <div>
            <dt>Finished</dt>
            <dd>{formatTime(beat.finished_at)}</dd>
          </div>
          <div>
            <dt>Duration</dt>
            <dd>{formatMs(beat.duration_ms)}</dd>
          </div>
          {rounds.map((round, i) => (
            <div key={i}>
              <dt>Model round {i + 1}</dt>
              <dd>
                {formatMs(typeof round["latency_ms"] === "number" ? round["latency_ms"] : null)}, {str(round["attempts"]) || "1"} attempt(s)
              </dd>
            </div>
          ))}
        </dl>
      </Section>

      {audit["tasks"] || audit["memory"] || audit["tools"] ? (
        <Section title="Tasks, memory and tools">
          <BeatMemory audit={audit} />
        </Section>
      ) : null}

      <Section title="Tokens">
        <p data-testid="beat-tokens">
          prompt {str(tokens["prompt"]) || beat.prompt_tokens} · completion {str(tokens["completion"]) || beat.completion_tokens}
          {tokens["estimated"] === true ? " (estimated)" : " (as reported by the model server)"}
          {prompt["chars"] !== undefined ? ` · prompt ${str(prompt["chars"])} characters` : ""}
        </p>
      </Section>

      <Section title="Reply">
        {beat.alert_text ? (
          <>
            <h4>Alert delivered</h4>
            <blockquote className="model-text" data-testid="beat-alert">
              {beat.alert_text}
            </blockquote>
          </>
        ) : null}
        {rounds.length === 0 ? <p className="muted">No model call.</p> : null}
        {rounds.map((round, i) => (
          <div key={i}>
            <h4>Round {i + 1} raw reply</h4>
            <pre className="model-text" data-testid="beat-reply">
              {str(round["text"]) || "(no text)"}
            </pre>
            {list(round["tool_calls"]).length > 0 ? <pre className="code">{asText(round["tool_calls"])}</pre> : null}
          </div>
        ))}
        {Object.keys(reply).length > 0 ? (
          <p className="muted">
            Read as tier {str(reply["tier"])}, {str(reply["kind"])}
            {str(reply["summary"]) ? ` — ${str(reply["summary"])}` : ""}
          </p>
        ) : null}
        {audit["dropped_text"] ? (
          <>
            <h4>Dropped text</h4>
            <pre className="model-text">{str(audit["dropped_text"])}</pre>
          </>
        ) : null}
      </Section>

      <Section title={`Actions (${actions.length})`}>
        {actions.length === 0 ? <p className="muted">No actions.</p> : null}
        <ul className="actions">
          {actions.map((action, i) => (
            <li key={i}>
              <strong>{str(action["type"])}</strong> — <span className="badge">{str(action["status"])}</span>{" "}
              {str(action["detail"])}
              {list(action["problems"]).length > 0 ? (
                <ul className="problems">
                  {list(action["problems"]).map(obj).map((p, j) => (
                    <li key={j}>
                      {str(p["field"])}: {str(p["message"])}
                    </li>
                  ))}
                </ul>
              ) : null}
              <pre className="code">{asText(action["action"])}</pre>
            </li>
          ))}
        </ul>
      </Section>

      <Section title={`Deliveries (${deliveries.length})`} open={deliveries.length > 0}>
        {deliveries.length === 0 ? <p className="muted">Nothing delivered.</p> : <pre className="code">{asText(deliveries)}</pre>}
      </Section>

      <Section title="Prompt" open={false}>
        <pre className="code prompt" data-testid="beat-prompt">
          {str(prompt["text"]) || "(no prompt: no model call)"}
        </pre>
      </Section>

      <Section title="Guards and warnings" open={false}>
        <p>Guards passed: {guards.length > 0 ? guards.join(", ") : "none"}</p>
        {warnings.length > 0 ? <pre className="code">{asText(warnings)}</pre> : <p className="muted">No truncation warnings.</p>}
      </Section>

      <Section title="Whole audit record (JSON)" open={false}>
        <pre className="code">{asText(audit)}</pre>
      </Section>
    </div>
  );
}
