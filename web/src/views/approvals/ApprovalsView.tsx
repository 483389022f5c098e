import { useCallback, useEffect, useState } from "react";
import { ApiError, seg } from "../../api/client";
import { useApi, useBusEvents } from "../../api/context";
import { ErrorNote } from "../../components/ErrorNote";
import { formatTime } from "../../lib/format";
import { asObject, itemsOf, pick, pickText } from "../../lib/loose";
import type { Loose } from "../../lib/loose";

const STATUSES = ["pending", "approved", "rejected"];
const HIDDEN_FIELDS = new Set(["type", "action"]);

function ActionFields({ action }: { action: Loose }) {
  const entries = Object.entries(action).filter(([key]) => !HIDDEN_FIELDS.has(key));
  if (entries.length === 0) {
    return null;
  }
  return (
    <dl className="action-fields">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd className="model-text">{typeof value === "string" ? value : JSON.stringify(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

function isMissingRoute(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404 && error.message.startsWith("no such endpoint");
}

/** The queue of actions that wait for a person (SPEC §7.1 `requires_approval`). */
export function ApprovalsView() {
  const api = useApi();
  const [status, setStatus] = useState("pending");
  const [items, setItems] = useState<Loose[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [reasons, setReasons] = useState<Record<string, string>>({});

  const load = useCallback(async () => {
    try {
      const body = await api.get<unknown>(`/api/approvals?status=${encodeURIComponent(status)}`);
      setItems(itemsOf(body, "approvals"));
      setError(null);
    } catch (failure) {
      setError(failure);
      setItems([]);
    }
  }, [api, status]);

  useEffect(() => {
    void load();
  }, [load]);

  useBusEvents((name) => name.startsWith("action.") || name.startsWith("approval."), () => void load());

  async function decide(id: string, verdict: "approve" | "reject"): Promise<void> {
    setBusy(`${id}:${verdict}`);
    setError(null);
    setMessage(null);
    try {
      const reason = (reasons[id] ?? "").trim();
      const body = verdict === "reject" && reason ? { reason } : undefined;
      const result = asObject(await api.post<unknown>(`/api/approvals/${seg(id)}/${verdict}`, body));
      const outcome = pickText(result, "action_status", "result.status", "status");
      setMessage(`Approval ${id} ${verdict === "approve" ? "approved" : "rejected"}${outcome ? `: ${outcome}` : ""}`);
      await load();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="view approvals">
      <h2>Approvals</h2>
      <div className="card row" role="group" aria-label="Filter">
        <label htmlFor="approvals-status">Show</label>
        <select id="approvals-status" value={status} onChange={(e) => setStatus(e.target.value)}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <button type="button" className="secondary" onClick={() => void load()}>
          Reload
        </button>
        {message ? (
          <span className="ok" role="status" data-testid="approvals-message">
            {message}
          </span>
        ) : null}
      </div>
      {isMissingRoute(error) ? (
        <p className="note">This server has no approval queue yet (GET /api/approvals is not there).</p>
      ) : (
        <ErrorNote error={error} label="Approvals" />
      )}
      <div className="card">
        {items.length === 0 && !error ? <p className="muted">Nothing {status}.</p> : null}
        <ul className="approval-list" data-testid="approvals">
          {items.map((item) => {
            const id = pickText(item, "id", "approval_id");
            const action = asObject(pick(item, "action", "payload"));
            const type = pickText(item, "type", "action_type", "kind") || pickText(action, "type", "action");
            const itemStatus = pickText(item, "status");
            return (
              <li key={id} className="approval" data-testid="approval">
                <div className="row">
                  <strong>
                    #{id} {type}
                  </strong>
                  <span className="muted">
                    {pickText(item, "thread_id", "thread")}
                    {pick(item, "beat_id") !== undefined ? ` · beat #${pickText(item, "beat_id")}` : ""}
                    {` · ${formatTime(pickText(item, "created_at", "requested_at") || null)}`}
                  </span>
                  {itemStatus ? <span className="badge">{itemStatus}</span> : null}
                </div>
                <ActionFields action={action} />
                {itemStatus && itemStatus !== "pending" ? (
                  <p className="muted" data-testid="approval-decision">
                    {itemStatus} {formatTime(pickText(item, "decided_at") || null)}
                    {pickText(item, "action_status") ? ` · action ${pickText(item, "action_status")}` : ""}
                    {pickText(item, "reason") ? ` · reason: ${pickText(item, "reason")}` : ""}
                  </p>
                ) : null}
                {pick(item, "result") !== undefined ? <pre className="code">{JSON.stringify(pick(item, "result"), null, 2)}</pre> : null}
                {itemStatus === "" || itemStatus === "pending" ? (
                  <div className="row">
                    <label htmlFor={`reject-reason-${id}`} className="sr-only">
                      Reason for rejecting #{id} (optional)
                    </label>
                    <input
                      id={`reject-reason-${id}`}
                      placeholder="reason for rejecting (optional)"
                      value={reasons[id] ?? ""}
                      onChange={(e) => setReasons((all) => ({ ...all, [id]: e.target.value }))}
                    />
                    <button type="button" onClick={() => void decide(id, "approve")} disabled={busy !== null}>
                      Approve #{id}
                    </button>
                    <button type="button" className="danger" onClick={() => void decide(id, "reject")} disabled={busy !== null}>
                      Reject #{id}
                    </button>
                  </div>
                ) : null}
              </li>
            );
          })}
        </ul>
      </div>
    </div>
  );
}
