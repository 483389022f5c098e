/** Issue 17's findings, each pinned by a test that failed before its fix. */
import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import type { BeatSearch, FileView } from "../api/types";
import { OutcomeBadge } from "../components/OutcomeBadge";
import { confirmLeave, hasUnsavedWork } from "../lib/hooks";
import { STATUS, makeBeat, makeConfig, panelApi } from "../test/fakeApi";
import { renderWithApi } from "../test/render";
import { configChanges, formFromConfig, intervalHint, validateForm } from "./heartbeat/configForm";
import { HeartbeatPanel } from "./heartbeat/HeartbeatPanel";
import { StatusArea } from "./heartbeat/StatusArea";
import { HistoryDashboard } from "./history/HistoryDashboard";
import { SoulEditor } from "./soul/SoulEditor";

afterEach(() => {
  vi.useRealTimers();
});

function historyApi(total: number) {
  const page = (offset: number): BeatSearch => ({
    items: Array.from({ length: Math.min(50, total - offset) }, (_, i) => makeBeat({ id: total - offset - i })),
    total,
    limit: 50,
    offset,
    next_offset: offset + 50 < total ? offset + 50 : null,
  });
  const api = panelApi();
  api.on("GET /api/beats", () => {
    const last = api.calls[api.calls.length - 1]!.path;
    return page(Number(new URLSearchParams(last.split("?")[1]).get("offset") ?? 0));
  });
  api.on("GET /api/beats/stats", { bucket: "day", items: [] });
  return api;
}

describe("issue 17 findings", () => {
  it("1: a dry-run beat shows as would-send, in its own colour, and can be filtered", async () => {
    render(<OutcomeBadge outcome="would-send" />);
    expect(screen.getByText("would-send")).toHaveClass("badge-would-send");
    renderWithApi(historyApi(0), <HistoryDashboard />);
    const filter = await screen.findByLabelText("Outcome");
    const options = within(filter).getAllByRole("option").map((o) => (o as HTMLOptionElement).value);
    expect(options).toContain("would-send");
  });

  it("2: the countdown ticks, and no next beat is promised while the scheduler is stopped", () => {
    vi.useFakeTimers({ now: new Date("2026-11-22T10:00:00Z") });
    const due = "2026-11-22T10:01:30Z";
    const { rerender } = renderWithApi(panelApi(), <StatusArea status={STATUS} threadNextDue={due} activity={[]} />);
    expect(screen.getByTestId("next-due-countdown")).toHaveTextContent("in 1 min 30 s");
    act(() => {
      vi.advanceTimersByTime(5000);
    });
    expect(screen.getByTestId("next-due-countdown")).toHaveTextContent("in 1 min 25 s");
    rerender(<StatusArea status={{ ...STATUS, running: false }} threadNextDue={due} activity={[]} />);
    expect(screen.getByTestId("next-due")).toHaveTextContent("none: the scheduler is stopped");
  });

  it("4: with the server down the status is unknown, Refresh says it failed, and it recovers", async () => {
    const user = userEvent.setup();
    let down = false;
    const api = panelApi().on("GET /api/heartbeat/status", () => {
      if (down) {
        throw new ApiError(0, "cannot reach the soulbeat server (TypeError: Failed to fetch)");
      }
      return STATUS;
    });
    renderWithApi(api, <HeartbeatPanel />);
    await waitFor(() => expect(screen.getByTestId("scheduler-state")).toHaveTextContent("running"));
    down = true;
    await user.click(screen.getByRole("button", { name: "Refresh" }));
    await waitFor(() => expect(screen.getByTestId("scheduler-state")).toHaveTextContent("unknown"));
    expect(screen.getByTestId("scheduler-state")).not.toHaveTextContent("running");
    expect(screen.getByTestId("activity")).toHaveTextContent("Refresh failed");
    expect(screen.getByTestId("activity")).not.toHaveTextContent("Refreshed");
    expect(screen.getByRole("alert")).toHaveTextContent("cannot reach");
    down = false;
    await user.click(screen.getByRole("button", { name: "Refresh" }));
    await waitFor(() => expect(screen.getByTestId("scheduler-state")).toHaveTextContent("running"));
    expect(screen.queryByText(/cannot reach/)).toBeNull();
    expect(screen.getByTestId("activity")).toHaveTextContent("Refreshed");
  });

  it("5: history says how many beats there are in all and pages through them on the server", async () => {
    const user = userEvent.setup();
    const api = historyApi(247);
    renderWithApi(api, <HistoryDashboard />);
    expect(await screen.findByText("Showing 1–50 of 247 beats")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Older →" }));
    expect(await screen.findByText("Showing 51–100 of 247 beats")).toBeInTheDocument();
    expect(api.calls.some((c) => c.path.startsWith("/api/beats?") && c.path.includes("offset=50"))).toBe(true);
  });

  it("9: unsaved SOUL.md edits are guarded, and a change on disk is a conflict, not an overwrite", async () => {
    const user = userEvent.setup();
    const file: FileView = { agent: "default", kind: "soul", path: "/ws/SOUL.md", exists: true, content: "# Soul\n", version: 1, sha256: "a".repeat(64) };
    const api = panelApi()
      .on("GET /api/soul", file)
      .on("GET /api/soul/versions", { items: [{ version: 1, sha256: file.sha256, source: "disk", chars: 7 }] })
      .on("PUT /api/soul", () => {
        throw new ApiError(409, "SOUL.md changed since it was opened (now version 2); your text was not saved");
      });
    renderWithApi(api, <SoulEditor />);
    const text = await screen.findByLabelText("SOUL.md content");
    await waitFor(() => expect(text).toHaveValue("# Soul\n"));
    await user.type(text, "kind words");
    expect(hasUnsavedWork()).toBe(true);
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(false);
    expect(confirmLeave()).toBe(false);
    expect(confirm).toHaveBeenCalledWith(expect.stringContaining("SOUL.md"));
    await user.click(screen.getByRole("button", { name: "Save SOUL.md" }));
    expect(await screen.findByTestId("soul-conflict")).toHaveTextContent("changed since it was opened");
    expect(text).toHaveValue("# Soul\nkind words");
    const put = api.calls.find((c) => c.method === "PUT");
    expect(put?.body).toEqual({ content: "# Soul\nkind words", base_sha256: file.sha256 });
  });

  it("10: a target the server refuses is shown with the API's own message", async () => {
    const user = userEvent.setup();
    const api = panelApi().on("POST /api/threads/main/heartbeat/config", () => {
      throw new ApiError(422, "invalid thread config", null, [
        { key: "target", message: 'target: "pager" is not a configured channel (expected thread, last, none or a channel name)' },
      ]);
    });
    renderWithApi(api, <HeartbeatPanel />);
    const target = await screen.findByLabelText(/^Target/);
    await user.clear(target);
    await user.type(target, "pager");
    await user.click(screen.getByRole("button", { name: "Save config" }));
    expect(await screen.findByText(/"pager" is not a configured channel/)).toBeInTheDocument();
  });

  it("11: a sub-second interval is refused, under 30 s warned; no 'skipped skipped'; deferred is in the legend", async () => {
    const base = formFromConfig(makeConfig());
    const tiny = { ...base, everyChoice: "custom", everyCustom: "500ms" };
    expect(validateForm(tiny).every).toMatch(/shorter than 1 second/);
    const fast = { ...base, everyChoice: "custom", everyCustom: "10s" };
    expect(validateForm(fast).every).toBeUndefined();
    expect(intervalHint(fast)).toMatch(/Warning: under 30 seconds/);
    expect(configChanges(base, fast)).toEqual({ every: "10s" });

    const user = userEvent.setup();
    const api = panelApi().on(
      "POST /api/threads/main/heartbeat/run-now",
      makeBeat({ id: 9, outcome: "skipped", skip_reason: "quiet-hours" }),
    );
    renderWithApi(api, <HeartbeatPanel />);
    await user.click(await screen.findByRole("button", { name: "Run now" }));
    const result = await screen.findByTestId("run-result");
    expect(result.textContent).not.toMatch(/skipped\s+skipped/);
    expect(result).toHaveTextContent("skipped (quiet-hours)");

    renderWithApi(historyApi(0), <HistoryDashboard />);
    const legend = await screen.findByRole("list", { name: "Outcome colours" });
    expect(legend).toHaveTextContent("deferred");
  });
});
