import { useCallback, useEffect, useRef, useState } from "react";
import { useApi, useBusEvents } from "../api/context";
import type { FleetPage } from "../api/types";

interface Counts {
  dryRun: number;
  approvals: number;
  running: boolean | null;
}

/** Banners that say what a person must not miss: threads in dry run (nothing is really sent),
 * actions waiting for approval, and a stopped scheduler. Refreshed on live events. */
export function Banners() {
  const api = useApi();
  const [counts, setCounts] = useState<Counts>({ dryRun: 0, approvals: 0, running: null });

  const load = useCallback(async () => {
    const [fleet, approvals] = await Promise.allSettled([
      api.get<FleetPage>("/api/fleet?state=dry-run&limit=1"),
      api.get<{ items: unknown[]; total?: number }>("/api/approvals?status=pending"),
    ]);
    setCounts({
      dryRun: fleet.status === "fulfilled" ? fleet.value.total : 0,
      running: fleet.status === "fulfilled" ? fleet.value.running : null,
      approvals:
        approvals.status === "fulfilled" ? (approvals.value.total ?? approvals.value.items.length) : 0,
    });
  }, [api]);

  useEffect(() => {
    void load();
  }, [load]);

  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useBusEvents(
    (name) => name.startsWith("action.") || name.startsWith("scheduler.") || name === "config.changed",
    () => {
      if (pending.current === null) {
        pending.current = setTimeout(() => {
          pending.current = null;
          void load();
        }, 500);
      }
    },
  );
  useEffect(
    () => () => {
      if (pending.current !== null) {
        clearTimeout(pending.current);
      }
    },
    [],
  );

  return (
    <div className="banners" aria-live="polite">
      {counts.running === false ? (
        <p className="banner banner-warn" data-testid="banner-stopped">
          The scheduler is stopped: no heartbeat runs until it is started (Heartbeat → Start scheduler).
        </p>
      ) : null}
      {counts.dryRun > 0 ? (
        <p className="banner banner-info" data-testid="banner-dry-run">
          {counts.dryRun === 1 ? "1 thread is" : `${counts.dryRun} threads are`} in dry run: their beats are recorded as
          “would-send” and nothing is delivered. <a href="#/fleet">See them in the fleet</a> (Show: Dry run).
        </p>
      ) : null}
      {counts.approvals > 0 ? (
        <p className="banner banner-warn" data-testid="banner-approvals">
          {counts.approvals === 1 ? "1 action waits" : `${counts.approvals} actions wait`} for your approval.{" "}
          <a href="#/approvals">Review them</a>.
        </p>
      ) : null}
    </div>
  );
}
