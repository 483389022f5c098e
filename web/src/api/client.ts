import type { ErrorBody, Problem } from "./types";

/** An API answer other than 2xx, or no answer at all (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly hint: string | null;
  readonly problems: Problem[];

  constructor(status: number, message: string, hint: string | null = null, problems: Problem[] = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.hint = hint;
    this.problems = problems;
  }

  /** The problems as lines that each name their key. */
  get problemLines(): string[] {
    return this.problems.map((p) =>
      p.key === "" || p.message.startsWith(`${p.key}:`) ? p.message : `${p.key}: ${p.message}`,
    );
  }
}

export type Method = "GET" | "POST" | "PUT" | "DELETE";

/** What the views need from the API; `HttpApi` is the real one, tests pass their own. */
export interface Api {
  request<T>(method: Method, path: string, body?: unknown): Promise<T>;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  put<T>(path: string, body?: unknown): Promise<T>;
  /** The bearer token, for the event stream. */
  readonly token: string;
}

/** Turn an error body into an ApiError. */
export function errorFromBody(status: number, body: unknown, fallback: string): ApiError {
  if (body !== null && typeof body === "object") {
    const data = body as ErrorBody;
    const problems = Array.isArray(data.problems) ? data.problems : [];
    const message = typeof data.error === "string" && data.error ? data.error : fallback;
    return new ApiError(status, message, data.hint ?? null, problems);
  }
  return new ApiError(status, fallback);
}

/**
 * The API over `fetch`, same origin only: paths start with `/`, so no request can leave the
 * server the panel came from. `onAuthFailure` is called on 401/403 (the token is wrong or gone).
 */
export class HttpApi implements Api {
  readonly token: string;
  private readonly onAuthFailure: (error: ApiError) => void;

  constructor(token: string, onAuthFailure: (error: ApiError) => void = () => undefined) {
    this.token = token;
    this.onAuthFailure = onAuthFailure;
  }

  async request<T>(method: Method, path: string, body?: unknown): Promise<T> {
    if (!path.startsWith("/") || path.startsWith("//")) {
      throw new ApiError(0, `refusing a request outside this server: ${path}`);
    }
    const headers: Record<string, string> = {
      Accept: "application/json",
      Authorization: `Bearer ${this.token}`,
    };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
      });
    } catch (error) {
      throw new ApiError(0, `cannot reach the soulbeat server (${String(error)})`);
    }
    const text = await response.text();
    let parsed: unknown = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    }
    if (!response.ok) {
      const error = errorFromBody(
        response.status,
        parsed,
        `${method} ${path} failed: HTTP ${response.status}`,
      );
      if (response.status === 401 || response.status === 403) {
        this.onAuthFailure(error);
      }
      throw error;
    }
    return parsed as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  put<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("PUT", path, body);
  }
}

/** `encodeURIComponent` for one path segment. */
export const seg = (value: string): string => encodeURIComponent(value);

/** A message for anything caught: ApiError's own, else the error's text. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}
