import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TokenGate } from "./TokenGate";
import { TOKEN_STORAGE_KEY } from "./token";

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

describe("TokenGate", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("asks for the token once, checks it and keeps it in sessionStorage only", async () => {
    const fetchMock = vi.fn(async () => answer(200, { running: true }));
    vi.stubGlobal("fetch", fetchMock);
    const user = userEvent.setup();
    render(<TokenGate>{(api) => <p>signed in with {api.token}</p>}</TokenGate>);
    await user.type(screen.getByLabelText("API token"), "  s3cret  ");
    await user.click(screen.getByRole("button", { name: "Use this token" }));
    expect(await screen.findByText("signed in with s3cret")).toBeInTheDocument();
    expect(window.sessionStorage.getItem(TOKEN_STORAGE_KEY)).toBe("s3cret");
    expect(window.localStorage.length).toBe(0);
    expect(document.cookie).toBe("");
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/heartbeat/status");
    expect((init.headers as Record<string, string>)["Authorization"]).toBe("Bearer s3cret");
  });

  it("uses a token already in sessionStorage without asking", () => {
    window.sessionStorage.setItem(TOKEN_STORAGE_KEY, "kept");
    render(<TokenGate>{(api) => <p>signed in with {api.token}</p>}</TokenGate>);
    expect(screen.getByText("signed in with kept")).toBeInTheDocument();
    expect(screen.queryByLabelText("API token")).toBeNull();
  });

  it("shows the server's refusal and stores nothing", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => answer(403, { error: "wrong API token", hint: "use the token in <data_dir>/api-token" })),
    );
    const user = userEvent.setup();
    render(<TokenGate>{() => <p>in</p>}</TokenGate>);
    await user.type(screen.getByLabelText("API token"), "bad");
    await user.click(screen.getByRole("button", { name: "Use this token" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("That token was refused: wrong API token");
    expect(screen.getByRole("alert")).toHaveTextContent("<data_dir>/api-token");
    expect(window.sessionStorage.getItem(TOKEN_STORAGE_KEY)).toBeNull();
  });
});
