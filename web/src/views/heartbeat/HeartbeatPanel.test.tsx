import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/client";
import { makeBeat, makeConfig, panelApi } from "../../test/fakeApi";
import { renderWithApi } from "../../test/render";
import { HeartbeatPanel } from "./HeartbeatPanel";

describe("HeartbeatPanel", () => {
  it("renders every control of seed 000's panel, each with a label", async () => {
    renderWithApi(panelApi(), <HeartbeatPanel />);
    // thread picker and new thread
    expect(await screen.findByLabelText("Thread")).toHaveValue("main");
    expect(screen.getByRole("button", { name: "New thread" })).toBeInTheDocument();
    // config form
    expect(await screen.findByRole("switch", { name: "Heartbeat enabled for this thread" })).toBeChecked();
    const interval = screen.getByLabelText(/^Interval/);
    const options = within(interval).getAllByRole("option").map((o) => (o as HTMLOptionElement).value);
    expect(options).toEqual(["5m", "15m", "30m", "1h", "4h", "1d", "custom"]);
    expect(interval).toHaveValue("30m");
    expect(screen.getByLabelText(/^Target/)).toHaveValue("thread");
    expect(screen.getByLabelText(/^Model/)).toHaveAttribute("placeholder", "fake-model");
    expect(screen.getByLabelText(/^Max tokens/)).toBeInTheDocument();
    expect(screen.getByLabelText(/^Temperature/)).toBeInTheDocument();
    expect(screen.getByLabelText(/^Dry run/)).not.toBeChecked();
    expect(screen.getByLabelText("Only beat within active hours")).not.toBeChecked();
    expect(screen.getByLabelText("Start")).toBeDisabled();
    expect(screen.getByLabelText("End")).toBeDisabled();
    expect(screen.getByLabelText("Timezone")).toBeDisabled();
    expect(screen.getByRole("button", { name: "Save config" })).toBeDisabled();
    // scheduler controls
    expect(screen.getByRole("button", { name: "Stop scheduler" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Run now" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Refresh" })).toBeInTheDocument();
    // status area
    expect(screen.getByTestId("scheduler-state")).toHaveTextContent("running");
    expect(screen.getByTestId("last-beat")).toHaveTextContent("none yet");
    // HEARTBEAT.md editor, collapsed until opened
    const toggle = screen.getByRole("button", { name: /HEARTBEAT\.md/ });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    // every button is a real button
    for (const button of screen.getAllByRole("button")) {
      expect(button.tagName).toBe("BUTTON");
    }
  });

  it("checks a custom interval in the browser before saving", async () => {
    const user = userEvent.setup();
    const api = panelApi();
    renderWithApi(api, <HeartbeatPanel />);
    await user.selectOptions(await screen.findByLabelText(/^Interval/), "custom");
    const custom = screen.getByLabelText("Custom interval");
    await user.type(custom, "1h 30m");
    expect(screen.getByText(/every: "1h 30m" is not a duration/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Save config" })).toBeDisabled();
    await user.clear(custom);
    await user.type(custom, "1h30m");
    expect(screen.getByText("= 1 h 30 min")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Save config" })).toBeEnabled();
  });

  it("saves only what changed and shows the API's 422 naming the key", async () => {
    const user = userEvent.setup();
    const api = panelApi().on("POST /api/threads/main/heartbeat/config", () => {
      throw new ApiError(422, "invalid thread config", null, [
        {
          key: "active_hours.timezone",
          message: 'active_hours.timezone: "Mars/Olympus" is not a timezone',
        },
      ]);
    });
    renderWithApi(api, <HeartbeatPanel />);
    await user.click(await screen.findByLabelText("Only beat within active hours"));
    const zone = screen.getByLabelText("Timezone");
    await user.clear(zone);
    await user.type(zone, "Mars/Olympus");
    await user.click(screen.getByRole("button", { name: "Save config" }));
    const alert = await screen.findByText(/"Mars\/Olympus" is not a timezone/);
    expect(alert.textContent).toContain("active_hours.timezone");
    const sent = api.calls.find((c) => c.method === "POST");
    expect(sent?.body).toEqual({
      active_hours: { start: "09:00", end: "17:00", timezone: "Mars/Olympus" },
    });
  });

  it("saves the interval and shows the new config", async () => {
    const user = userEvent.setup();
    const api = panelApi().on("POST /api/threads/main/heartbeat/config", makeConfig({ every: "1h" }));
    renderWithApi(api, <HeartbeatPanel />);
    await user.selectOptions(await screen.findByLabelText(/^Interval/), "1h");
    await user.click(screen.getByRole("button", { name: "Save config" }));
    expect(await screen.findByText("Saved: every")).toBeInTheDocument();
    expect(api.calls.find((c) => c.method === "POST")?.body).toEqual({ every: "1h" });
  });

  it("runs a beat now and shows its outcome", async () => {
    const user = userEvent.setup();
    const api = panelApi().on(
      "POST /api/threads/main/heartbeat/run-now",
      makeBeat({ id: 7, outcome: "sent", alert_text: "Disk almost full" }),
    );
    renderWithApi(api, <HeartbeatPanel />);
    await user.click(await screen.findByRole("button", { name: "Run now" }));
    const result = await screen.findByTestId("run-result");
    expect(result).toHaveTextContent("beat #7");
    expect(result).toHaveTextContent("sent");
    expect(result).toHaveTextContent("Disk almost full");
    expect(within(result).getByRole("link")).toHaveAttribute("href", "#/history/beat/7");
  });

  it("shows live hints in the HEARTBEAT.md editor and the server's after save", async () => {
    const user = userEvent.setup();
    let saved = "";
    const api = panelApi().on("POST /api/heartbeat/heartbeat.md", (body: unknown) => {
      saved = (body as { content: string }).content;
      return { version: 2 };
    });
    renderWithApi(api, <HeartbeatPanel />);
    await user.click(await screen.findByRole("button", { name: /HEARTBEAT\.md/ }));
    const text = await screen.findByLabelText("HEARTBEAT.md content");
    await waitFor(() => expect(text).toHaveValue("# HEARTBEAT.md\n"));
    expect(screen.getByTestId("hint-empty")).toHaveTextContent("Effectively empty");
    await user.type(text, "## Checklist\n- Check email\n## Daily 09:00\n- Summarize");
    expect(screen.getByTestId("hint-empty")).toHaveTextContent("Has instructions");
    expect(screen.getByTestId("hint-counts")).toHaveTextContent("1 checklist item, 0 rules, 0 behaviors");
    expect(screen.getByTestId("hint-tasks")).toHaveTextContent("Daily 09:00 (daily)");
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(text).toHaveValue("# HEARTBEAT.md\n");
    await user.type(text, "- Check email");
    await user.click(screen.getByRole("button", { name: "Save HEARTBEAT.md" }));
    await waitFor(() => expect(saved).toBe("# HEARTBEAT.md\n- Check email"));
    expect(screen.getByTestId("server-hints")).toBeInTheDocument();
  });
});
