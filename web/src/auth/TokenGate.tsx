import { useState } from "react";
import type { FormEvent, ReactNode } from "react";
import { ApiError, HttpApi } from "../api/client";
import type { Api } from "../api/client";
import { ErrorNote } from "../components/ErrorNote";
import { forgetToken, loadToken, saveToken } from "./token";

interface Props {
  children: (api: Api, signOut: () => void) => ReactNode;
}

/**
 * Asks for the API token once per browser tab, checks it against the server and keeps it in
 * sessionStorage. A 401/403 later (the token was changed) brings the question back.
 */
export function TokenGate({ children }: Props) {
  const [api, setApi] = useState<Api | null>(() => {
    const token = loadToken();
    return token ? makeApi(token) : null;
  });
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [checking, setChecking] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  function makeApi(token: string): Api {
    return new HttpApi(token, (failure) => {
      forgetToken();
      setApi(null);
      setNotice(`The server refused the saved token: ${failure.message}. Enter it again.`);
    });
  }

  function signOut(): void {
    forgetToken();
    setApi(null);
    setNotice("Token forgotten for this tab.");
  }

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const token = draft.trim();
    if (!token) {
      setError(new Error("Enter the API token."));
      return;
    }
    setChecking(true);
    setError(null);
    const candidate = new HttpApi(token);
    try {
      await candidate.get("/api/heartbeat/status");
      saveToken(token);
      setDraft("");
      setNotice(null);
      setApi(makeApi(token));
    } catch (failure) {
      setError(
        failure instanceof ApiError && (failure.status === 401 || failure.status === 403)
          ? new ApiError(failure.status, `That token was refused: ${failure.message}`, failure.hint)
          : failure,
      );
    } finally {
      setChecking(false);
    }
  }

  if (api !== null) {
    return <>{children(api, signOut)}</>;
  }
  return (
    <main className="gate">
      <h1>
        <span className="logo" aria-hidden="true">
          ♥
        </span>{" "}
        soulbeat
      </h1>
      <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="token-title">
        <h2 id="token-title">Sign in with the API token</h2>
        <p className="muted">
          <code>soulbeat serve</code> prints the token once at first start; it is also kept in{" "}
          <code>&lt;data-dir&gt;/api-token</code>. The panel keeps it in this tab only
          (sessionStorage) and sends it to this server only.
        </p>
        {notice ? (
          <p className="note" role="status">
            {notice}
          </p>
        ) : null}
        <label htmlFor="api-token">API token</label>
        <input
          id="api-token"
          name="api-token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          autoFocus
        />
        <div className="row">
          <button type="submit" disabled={checking}>
            {checking ? "Checking…" : "Use this token"}
          </button>
        </div>
        <ErrorNote error={error} />
      </form>
    </main>
  );
}
