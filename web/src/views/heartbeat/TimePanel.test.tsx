import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Reminder, ThreadSchedule } from "../../api/types";
import { FakeApi } from "../../test/fakeApi";
import { renderWithApi } from "../../test/render";
import { TimePanel } from "./TimePanel";

const FIRES = [
  "2026-03-27T08:00:00+00:00",
  "2026-03-30T07:00:00+00:00",
  "2026-03-31T07:00:00+00:00",
  "2026-04-01T07:00:00+00:00",
  "2026-04-02T07:00:00+00:00",
];

function reminder(id: number, text: string): Reminder {
  return { id, thread_id: "main", text, due_at: "2026-03-27T10:00:00+00:00", urgent: false, created_by: "person", status: "pending", reason: `reminder:${id}` };
}

function scheduleOf(reminders: Reminder[], state: "healthy" | "unhealthy" = "healthy"): ThreadSchedule {
  return {
    thread_id: "main",
    every: null,
    cron: "0 9 * * MON-FRI",
    timezone: "Europe/Berlin",
    next_due_at: FIRES[0] ?? null,
    next_fires: FIRES,
    quiet_after_message: "0",
    health: { thread_id: "main", state, failed_streak: state === "unhealthy" ? 4 : 0 },
    reminders,
  };
}

describe("TimePanel", () => {
  it("shows a cron thread's next five fires and its health", async () => {
    const api = new FakeApi().on("GET /api/threads/main/schedule", scheduleOf([], "unhealthy"));
    renderWithApi(api, <TimePanel threadId="main" />);
    expect(await screen.findByTestId("cadence")).toHaveTextContent("cron 0 9 * * MON-FRI (Europe/Berlin)");
    expect(screen.getByTestId("next-fires").querySelectorAll("li")).toHaveLength(5);
    expect(screen.getByTestId("health")).toHaveTextContent("unhealthy · 4 failed in a row");
  });

  it("adds a reminder and cancels one", async () => {
    const user = userEvent.setup();
    let pending = [reminder(1, "stretch")];
    const api = new FakeApi()
      .on("GET /api/threads/main/schedule", () => scheduleOf(pending))
      .on("POST /api/threads/main/reminders", (body: unknown) => {
        const made = reminder(2, (body as { text: string }).text);
        pending = [...pending, made];
        return made;
      })
      .on("DELETE /api/threads/main/reminders/1", () => {
        pending = pending.filter((r) => r.id !== 1);
        return { ...reminder(1, "stretch"), status: "cancelled" };
      });
    renderWithApi(api, <TimePanel threadId="main" />);
    await user.type(await screen.findByLabelText("Remind about"), "call the bank");
    await user.clear(screen.getByLabelText("Remind in"));
    await user.type(screen.getByLabelText("Remind in"), "2m");
    await user.click(screen.getByRole("button", { name: "Add reminder" }));
    await waitFor(() => expect(screen.getByTestId("reminders")).toHaveTextContent("call the bank"));
    const posted = api.calls.find((c) => c.method === "POST");
    expect(posted?.body).toEqual({ text: "call the bank", urgent: false, in: "2m" });
    await user.click(screen.getByRole("button", { name: "Cancel reminder 1" }));
    await waitFor(() => expect(screen.getByTestId("reminders")).not.toHaveTextContent("stretch"));
  });
});
