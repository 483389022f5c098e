import { useEffect, useState } from "react";

/** The current time (ms since the epoch), updated every `everyMs`: what makes countdowns tick. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** Editors with unsaved work, by name: the guard asks before anything would throw it away. */
const unsaved = new Set<string>();

export function hasUnsavedWork(): boolean {
  return unsaved.size > 0;
}

export function unsavedNames(): string[] {
  return [...unsaved];
}

/** Mark `name` as holding unsaved work while `dirty`; leaving the page asks first. */
export function useUnsavedGuard(name: string, dirty: boolean): void {
  useEffect(() => {
    if (!dirty) {
      unsaved.delete(name);
      return undefined;
    }
    unsaved.add(name);
    const warn = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = "";
    };
    window.addEventListener("beforeunload", warn);
    return () => {
      unsaved.delete(name);
      window.removeEventListener("beforeunload", warn);
    };
  }, [name, dirty]);
}

/** Whether the person agrees to drop unsaved work (asked only when there is some). */
export function confirmLeave(): boolean {
  if (!hasUnsavedWork()) {
    return true;
  }
  return window.confirm(`You have unsaved changes in ${unsavedNames().join(", ")}. Leave and lose them?`);
}
