/** Issue 15: a beat's tasks (addressed or not), memory edits and tool calls in the panel. */
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { BeatMemory } from "./BeatMemory";

describe("BeatMemory", () => {
  it("shows the due tasks left unaddressed, the edits and the tool calls", () => {
    render(
      <BeatMemory
        audit={{
          tasks: { due: ["inbox", "backups"], addressed: [{ task: "inbox", how: "tool" }], unaddressed: ["backups"] },
          memory: { scratch_revision: 3, edits: [{ kind: "scratch", status: "written" }] },
          tools: {
            calls: [{ tool: "ci.build_status", ok: true, answer: "main: green" }],
            servers: [{ server: "gone", ok: false, error: "no answer within 10s" }],
          },
        }}
      />,
    );
    expect(screen.getByTestId("beat-unaddressed").textContent).toBe("backups");
    expect(screen.getByText("revision 3")).toBeTruthy();
    expect(screen.getByText("scratch: written")).toBeTruthy();
    expect(screen.getByTestId("beat-tool-calls").textContent).toContain("main: green");
    expect(screen.getByText(/MCP server gone left out: no answer within 10s/)).toBeTruthy();
  });

  it("renders nothing for a beat from before memory and tools", () => {
    const { container } = render(<BeatMemory audit={{ outcome: "ok-token" }} />);
    expect(container.textContent).toBe("");
  });
});
