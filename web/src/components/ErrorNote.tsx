import { ApiError } from "../api/client";

/** An error as the person should see it: the API's message, its hint and each problem with
 * its key. Rendered as text only. */
export function ErrorNote({ error, label }: { error: unknown; label?: string }) {
  if (error === null || error === undefined) {
    return null;
  }
  const api = error instanceof ApiError ? error : null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="note note-error" role="alert">
      <strong>{label ? `${label}: ` : ""}</strong>
      <span>{message}</span>
      {api && api.status > 0 ? <span className="muted"> (HTTP {api.status})</span> : null}
      {api && api.problemLines.length > 0 ? (
        <ul className="problems">
          {api.problemLines.map((line, i) => (
            <li key={i}>{line}</li>
          ))}
        </ul>
      ) : null}
      {api?.hint ? <p className="muted">{api.hint}</p> : null}
    </div>
  );
}
