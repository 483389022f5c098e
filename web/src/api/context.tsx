import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import type { ReactNode } from "react";
import type { Api } from "./client";
import { followEvents } from "./sse";
import type { StreamState } from "./sse";
import type { BusEvent } from "./types";

const ApiContext = createContext<Api | null>(null);

export function ApiProvider({ api, children }: { api: Api; children: ReactNode }) {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (api === null) {
    throw new Error("useApi outside ApiProvider");
  }
  return api;
}

type Listener = (event: BusEvent) => void;

interface EventsValue {
  state: StreamState;
  detail: string | null;
  lastEventId: number | null;
  subscribe: (listener: Listener) => () => void;
}

const EventsContext = createContext<EventsValue>({
  state: "closed",
  detail: null,
  lastEventId: null,
  subscribe: () => () => undefined,
});

/**
 * One live connection to `GET /api/events` for the whole panel; views subscribe with
 * `useBusEvents`. `live={false}` (tests) opens nothing.
 */
export function EventsProvider({ children, live = true }: { children: ReactNode; live?: boolean }) {
  const api = useApi();
  const listeners = useRef(new Set<Listener>());
  const [state, setState] = useState<StreamState>(live ? "connecting" : "closed");
  const [detail, setDetail] = useState<string | null>(null);
  const [lastEventId, setLastEventId] = useState<number | null>(null);

  useEffect(() => {
    if (!live) {
      return undefined;
    }
    const controller = new AbortController();
    void followEvents({
      url: "/api/events",
      token: api.token,
      signal: controller.signal,
      onState: (next, why) => {
        setState(next);
        setDetail(why ?? null);
      },
      onMessage: (message) => {
        let event: BusEvent;
        try {
          event = JSON.parse(message.data) as BusEvent;
        } catch {
          return;
        }
        if (typeof event.id === "number") {
          setLastEventId(event.id);
        }
        for (const listener of listeners.current) {
          try {
            listener(event);
          } catch (error) {
            console.error("event listener failed", error);
          }
        }
      },
    });
    return () => controller.abort();
  }, [api, live]);

  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const value = useMemo<EventsValue>(
    () => ({ state, detail, lastEventId, subscribe }),
    [state, detail, lastEventId, subscribe],
  );
  return <EventsContext.Provider value={value}>{children}</EventsContext.Provider>;
}

export function useStreamState(): { state: StreamState; detail: string | null; lastEventId: number | null } {
  const { state, detail, lastEventId } = useContext(EventsContext);
  return { state, detail, lastEventId };
}

/** Call `handler` for every bus event whose name passes `filter` (a prefix or a predicate). */
export function useBusEvents(filter: string | ((name: string) => boolean), handler: Listener): void {
  const { subscribe } = useContext(EventsContext);
  const latest = useRef(handler);
  latest.current = handler;
  const test = useRef(filter);
  test.current = filter;
  useEffect(
    () =>
      subscribe((event) => {
        const wanted = test.current;
        const ok = typeof wanted === "string" ? event.name.startsWith(wanted) : wanted(event.name);
        if (ok) {
          latest.current(event);
        }
      }),
    [subscribe],
  );
}
