import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { makeBeat, panelApi } from "../test/fakeApi";
import { renderWithApi } from "../test/render";
import { ApprovalsView } from "./approvals/ApprovalsView";
import { BeatDetail } from "./history/BeatDetail";
import { LedgerView } from "./ledger/LedgerView";
import { MessageItem } from "./threads/ThreadView";

const SCRIPT = "<script>alert(1)</script>";
const IMG = "<img src=x onerror=alert(1)>";
const HOSTILE = `Alert: ${SCRIPT} and ${IMG}`;

function expectInert(container: HTMLElement): void {
  expect(container.querySelector("script")).toBeNull();
  expect(container.querySelector("img")).toBeNull();
  expect(container.innerHTML).not.toContain("<script>");
  expect(container.innerHTML).toContain("&lt;script&gt;");
}

describe("model and ledger text is rendered as text", () => {
  it("in a thread message", () => {
    const { container } = render(
      <ol>
        <MessageItem
          message={{ id: 1, thread_id: "main", role: "assistant", text: HOSTILE, created_at: "2026-11-22T10:00:00Z" }}
        />
      </ol>,
    );
    expect(screen.getByText(HOSTILE)).toBeInTheDocument();
    expectInert(container);
  });

  it("in a beat's audit record (alert, raw reply, prompt, actions)", async () => {
    const api = panelApi().on(
      "GET /api/beats/5",
      makeBeat({
        id: 5,
        outcome: "sent",
        alert_text: HOSTILE,
        audit: {
          prompt: { text: `prompt ${IMG}`, chars: 20 },
          rounds: [{ text: HOSTILE, tool_calls: [], latency_ms: 3 }],
          actions: [{ type: "post", status: "pending-approval", action: { title: SCRIPT }, problems: [], detail: IMG }],
          tokens: { prompt: 10, completion: 2, estimated: false },
        },
      }),
    );
    const { container } = renderWithApi(api, <BeatDetail beatId={5} />);
    expect(await screen.findByTestId("beat-alert")).toHaveTextContent(HOSTILE);
    expect(screen.getByTestId("beat-reply")).toHaveTextContent(HOSTILE);
    expectInert(container);
  });

  it("in the ledger and the approval queue", async () => {
    const api = panelApi()
      .on("GET /api/v1/feed", { items: [{ id: 1, title: SCRIPT, content: IMG, submolt: "general", author: "bot" }] })
      .on("GET /api/approvals", { items: [{ id: 3, type: "post", status: "pending", action: { title: SCRIPT, content: IMG } }] });
    const ledger = renderWithApi(api, <LedgerView />);
    expect(await screen.findByText(SCRIPT)).toBeInTheDocument();
    expectInert(ledger.container);
    ledger.unmount();
    const approvals = renderWithApi(api, <ApprovalsView />);
    expect(await screen.findByText(IMG)).toBeInTheDocument();
    expectInert(approvals.container);
  });
});

describe("the source", () => {
  const sources = import.meta.glob<string>(["../**/*.ts", "../**/*.tsx", "!../**/*.test.ts", "!../**/*.test.tsx"], {
    query: "?raw",
    import: "default",
    eager: true,
  });

  it("is all read", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(20);
  });

  it.each(["dangerouslySetInnerHTML", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("])(
    "never uses %s",
    (needle) => {
      const offenders = Object.entries(sources)
        .filter(([, text]) => text.includes(needle))
        .map(([path]) => path);
      expect(offenders).toEqual([]);
    },
  );

  it("only talks to its own server (no absolute URLs in fetches)", () => {
    const offenders = Object.entries(sources)
      .filter(([, text]) => /fetch\(\s*["'`]https?:/.test(text) || /https?:\/\/(?!127\.0\.0\.1)/.test(text))
      .map(([path]) => path);
    expect(offenders).toEqual([]);
  });
});
