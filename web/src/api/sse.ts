/**
 * Server-Sent Events over `fetch`: `EventSource` cannot send an `Authorization` header, so the
 * panel reads the stream itself. `SseParser` is the wire format (pure, tested); `followEvents`
 * keeps a connection open, reconnecting with `Last-Event-ID` so missed events are replayed.
 */

export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/** Incremental parser of the `text/event-stream` format (WHATWG HTML §9.2.6). */
export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private id: string | null = null;
  /** The last `id:` seen, kept across messages as the spec says. */
  lastEventId: string | null = null;
  /** The last `retry:` in milliseconds, or null. */
  retry: number | null = null;

  /** Feed decoded text; returns the messages it completed. */
  feed(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (match === null) {
        break;
      }
      // A lone "\r" at the very end may be the first half of "\r\n": wait for more.
      if (match[0] === "\r" && match.index === this.buffer.length - 1) {
        break;
      }
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message !== null) {
        out.push(message);
      }
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === "") {
      return this.dispatch();
    }
    if (line.startsWith(":")) {
      return null;
    }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) {
      value = value.slice(1);
    }
    switch (field) {
      case "data":
        this.data.push(value);
        break;
      case "event":
        this.event = value;
        break;
      case "id":
        if (!value.includes("\0")) {
          this.id = value;
          this.lastEventId = value;
        }
        break;
      case "retry":
        if (/^[0-9]+$/.test(value)) {
          this.retry = Number(value);
        }
        break;
      default:
        break;
    }
    return null;
  }

  private dispatch(): SseMessage | null {
    const hasData = this.data.length > 0;
    const message: SseMessage = {
      id: this.id ?? this.lastEventId,
      event: this.event || "message",
      data: this.data.join("\n"),
    };
    this.data = [];
    this.event = "";
    this.id = null;
    return hasData ? message : null;
  }
}

export type StreamState = "connecting" | "live" | "reconnecting" | "unauthorized" | "closed";

export interface FollowOptions {
  url: string;
  token: string;
  onMessage: (message: SseMessage) => void;
  onState: (state: StreamState, detail?: string) => void;
  signal: AbortSignal;
  /** For tests: how to wait between attempts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}

/**
 * Follow the event stream until `signal` aborts. After a drop it waits (the server's `retry:`
 * hint, doubling up to 30 s while attempts keep failing) and reconnects with `Last-Event-ID`.
 * A 401/403 stops it: the token is wrong, and asking again will not help.
 */
export async function followEvents(options: FollowOptions): Promise<void> {
  const { url, token, onMessage, onState, signal } = options;
  const sleep = options.sleep ?? abortableSleep;
  let lastId: string | null = null;
  let delay = 2_000;
  let failures = 0;
  let first = true;
  while (!signal.aborted) {
    onState(first ? "connecting" : "reconnecting");
    first = false;
    const parser = new SseParser();
    try {
      const headers: Record<string, string> = {
        Accept: "text/event-stream",
        Authorization: `Bearer ${token}`,
      };
      if (lastId !== null) {
        headers["Last-Event-ID"] = lastId;
      }
      const response = await fetch(url, { headers, signal, cache: "no-store", credentials: "omit" });
      if (response.status === 401 || response.status === 403) {
        onState("unauthorized", `HTTP ${response.status}`);
        return;
      }
      if (!response.ok || response.body === null) {
        throw new Error(`HTTP ${response.status}`);
      }
      onState("live");
      failures = 0;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        for (const message of parser.feed(value)) {
          if (message.id !== null) {
            lastId = message.id;
          }
          onMessage(message);
        }
        if (parser.retry !== null) {
          delay = parser.retry;
        }
      }
    } catch (error) {
      if (signal.aborted) {
        break;
      }
      failures += 1;
      onState("reconnecting", String(error));
    }
    if (signal.aborted) {
      break;
    }
    await sleep(Math.min(delay * 2 ** Math.max(0, failures - 1), 30_000), signal);
  }
  onState("closed");
}
