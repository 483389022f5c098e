/** Reading JSON whose exact shape the panel does not pin (the ledger and the approval queue
 * are younger than the panel): the first present key wins, everything is turned into text. */

export type Loose = Record<string, unknown>;

export function asObject(value: unknown): Loose {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Loose) : {};
}

/** The list in a body: the body itself, or its `items` / `data` / `posts` / named key. */
export function itemsOf(body: unknown, ...keys: string[]): Loose[] {
  if (Array.isArray(body)) {
    return body.map(asObject);
  }
  const object = asObject(body);
  for (const key of [...keys, "items", "data", "results"]) {
    const found = object[key];
    if (Array.isArray(found)) {
      return found.map(asObject);
    }
  }
  return [];
}

export function pick(object: Loose, ...keys: string[]): unknown {
  for (const key of keys) {
    const parts = key.split(".");
    let value: unknown = object;
    for (const part of parts) {
      value = asObject(value)[part];
    }
    if (value !== undefined && value !== null && value !== "") {
      return value;
    }
  }
  return undefined;
}

export function pickText(object: Loose, ...keys: string[]): string {
  const value = pick(object, ...keys);
  if (value === undefined) {
    return "";
  }
  if (typeof value === "object") {
    return JSON.stringify(value);
  }
  return String(value);
}
