import { useEffect, useRef, useState } from "react";
import type { Api } from "./api/client";
import { ApiProvider, EventsProvider, useStreamState } from "./api/context";
import { TokenGate } from "./auth/TokenGate";
import { Banners } from "./components/Banners";
import { ThreadsProvider } from "./components/threads";
import { confirmLeave } from "./lib/hooks";
import { FleetView } from "./views/fleet/FleetView";
import { ApprovalsView } from "./views/approvals/ApprovalsView";
import { HeartbeatPanel } from "./views/heartbeat/HeartbeatPanel";
import { BeatDetail } from "./views/history/BeatDetail";
import { HistoryDashboard } from "./views/history/HistoryDashboard";
import { LedgerView } from "./views/ledger/LedgerView";
import { SoulEditor } from "./views/soul/SoulEditor";
import { ThreadView } from "./views/threads/ThreadView";

const VIEWS = [
  { id: "fleet", label: "Fleet" },
  { id: "heartbeat", label: "Heartbeat" },
  { id: "history", label: "History" },
  { id: "soul", label: "SOUL.md" },
  { id: "thread", label: "Thread" },
  { id: "approvals", label: "Approvals" },
  { id: "ledger", label: "Board" },
] as const;

export interface Route {
  view: string;
  beatId: number | null;
}

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const view = VIEWS.some((v) => v.id === parts[0]) ? parts[0]! : "fleet";
  const beatId = view === "history" && parts[1] === "beat" && /^[0-9]+$/.test(parts[2] ?? "") ? Number(parts[2]) : null;
  return { view, beatId };
}

/** The route from the address; leaving a view with unsaved work asks first (and stays on
 * "Cancel"). */
function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  const current = useRef(window.location.hash);
  useEffect(() => {
    const update = () => {
      if (window.location.hash === current.current) {
        return;
      }
      if (!confirmLeave()) {
        window.history.replaceState(null, "", current.current || "#/");
        return;
      }
      current.current = window.location.hash;
      setRoute(parseRoute(window.location.hash));
    };
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}

function StreamDot() {
  const { state } = useStreamState();
  return (
    <span className={`stream stream-${state}`} title="Live updates (server-sent events)">
      {state === "live" ? "● live" : state === "closed" ? "○ off" : `○ ${state}`}
    </span>
  );
}

function Shell({ signOut }: { signOut: () => void }) {
  const route = useRoute();
  const main = useRef<HTMLElement | null>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [route.view, route.beatId]);

  let body;
  switch (route.view) {
    case "history":
      body = route.beatId !== null ? <BeatDetail beatId={route.beatId} /> : <HistoryDashboard />;
      break;
    case "soul":
      body = <SoulEditor />;
      break;
    case "thread":
      body = <ThreadView />;
      break;
    case "approvals":
      body = <ApprovalsView />;
      break;
    case "ledger":
      body = <LedgerView />;
      break;
    case "heartbeat":
      body = <HeartbeatPanel />;
      break;
    default:
      body = <FleetView />;
  }
  return (
    <>
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); main.current?.focus(); }}>
        Skip to content
      </a>
      <header className="top">
        <h1>
          <span className="logo" aria-hidden="true">
            ♥
          </span>{" "}
          soulbeat
        </h1>
        <nav aria-label="Views">
          <ul>
            {VIEWS.map((v) => (
              <li key={v.id}>
                <a href={`#/${v.id}`} aria-current={route.view === v.id ? "page" : undefined}>
                  {v.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="top-right">
          <StreamDot />
          <button type="button" className="secondary small" onClick={signOut}>
            Forget token
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Banners />
        {body}
      </main>
    </>
  );
}

export function Panel({ api, signOut, live = true }: { api: Api; signOut: () => void; live?: boolean }) {
  return (
    <ApiProvider api={api}>
      <EventsProvider live={live}>
        <ThreadsProvider>
          <Shell signOut={signOut} />
        </ThreadsProvider>
      </EventsProvider>
    </ApiProvider>
  );
}

export function App() {
  return <TokenGate>{(api, signOut) => <Panel key={api.token} api={api} signOut={signOut} />}</TokenGate>;
}
