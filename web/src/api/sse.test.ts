import { describe, expect, it, vi } from "vitest";
import { SseParser, followEvents } from "./sse";

describe("SseParser", () => {
  it("reads events split across chunks", () => {
    const parser = new SseParser();
    expect(parser.feed(": soulbeat events\nretry: 2000\n\nevent: beat.fin")).toEqual([]);
    expect(parser.retry).toBe(2000);
    const out = parser.feed('ished\ndata: {"id": 3}\nid: 3\n\n');
    expect(out).toEqual([{ id: "3", event: "beat.finished", data: '{"id": 3}' }]);
    expect(parser.lastEventId).toBe("3");
  });

  it("joins data lines and accepts CRLF and CR", () => {
    const parser = new SseParser();
    const out = parser.feed("data: a\r\ndata:b\r\rdata: c\n\n");
    expect(out).toEqual([
      { id: null, event: "message", data: "a\nb" },
      { id: null, event: "message", data: "c" },
    ]);
  });

  it("waits for the second half of a CRLF", () => {
    const parser = new SseParser();
    expect(parser.feed("data: x\r")).toEqual([]);
    expect(parser.feed("\n\r\n")).toEqual([{ id: null, event: "message", data: "x" }]);
  });

  it("skips comments and events without data", () => {
    const parser = new SseParser();
    expect(parser.feed(": keep-alive\n\nevent: nothing\n\n")).toEqual([]);
  });

  it("keeps the last id for later events", () => {
    const parser = new SseParser();
    parser.feed("id: 7\ndata: one\n\n");
    expect(parser.feed("data: two\n\n")).toEqual([{ id: "7", event: "message", data: "two" }]);
  });
});

describe("followEvents", () => {
  it("reconnects after a drop with Last-Event-ID and stops on 401", async () => {
    const bodies = [
      'retry: 10\n\nevent: beat.started\ndata: {"id": 4}\nid: 4\n\nevent: beat.finished\ndata: {"id": 5}\nid: 5\n\n',
    ];
    const seenHeaders: Record<string, string>[] = [];
    const fetchMock = vi.fn(async (_url: string, init: RequestInit) => {
      seenHeaders.push({ ...(init.headers as Record<string, string>) });
      const text = bodies.shift();
      if (text === undefined) {
        return new Response("", { status: 401 });
      }
      return new Response(text, { status: 200, headers: { "Content-Type": "text/event-stream" } });
    });
    vi.stubGlobal("fetch", fetchMock);
    const names: string[] = [];
    const states: string[] = [];
    const waits: number[] = [];
    await followEvents({
      url: "/api/events",
      token: "t",
      signal: new AbortController().signal,
      onMessage: (m) => names.push(m.event),
      onState: (s) => states.push(s),
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    vi.unstubAllGlobals();
    expect(names).toEqual(["beat.started", "beat.finished"]);
    expect(seenHeaders[0]?.["Authorization"]).toBe("Bearer t");
    expect(seenHeaders[0]?.["Last-Event-ID"]).toBeUndefined();
    expect(seenHeaders[1]?.["Last-Event-ID"]).toBe("5");
    expect(waits).toEqual([10]);
    expect(states).toEqual(["connecting", "live", "reconnecting", "unauthorized"]);
  });
});
