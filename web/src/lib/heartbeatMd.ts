/**
 * HEARTBEAT.md in the browser: the "effectively empty" rule of SPEC §1.3, exactly, and a light
 * reading of what the file asks for, for live hints while the person types. The server's parse
 * (returned with `GET /api/heartbeat/heartbeat.md`) stays the authority and is shown after save.
 */

/** The lines with every `<!-- … -->` part removed; a comment may span lines, and one left
 * open runs to the end of the text, as in HTML. */
export function stripComments(lines: readonly string[]): string[] {
  const out: string[] = [];
  let inComment = false;
  for (const line of lines) {
    let kept = "";
    let pos = 0;
    while (pos <= line.length) {
      if (inComment) {
        const end = line.indexOf("-->", pos);
        if (end < 0) {
          break;
        }
        pos = end + 3;
        inComment = false;
        continue;
      }
      const start = line.indexOf("<!--", pos);
      if (start < 0) {
        kept += line.slice(pos);
        break;
      }
      kept += line.slice(pos, start);
      pos = start + 4;
      inComment = true;
    }
    out.push(kept);
  }
  return out;
}

/** Python's `str.splitlines()` for the line breaks people actually type. */
export function splitLines(text: string): string[] {
  if (text === "") {
    return [];
  }
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === "") {
    lines.pop();
  }
  return lines;
}

/** `[level, title]` of an ATX heading (`#`…`######` then whitespace or the end), else null.
 * `#TODO` is not a heading. `line` is already trimmed. */
export function atxHeading(line: string): [number, string] | null {
  let level = 0;
  while (level < line.length && line[level] === "#") {
    level += 1;
  }
  if (level < 1 || level > 6 || (line.length > level && !/\s/u.test(line[level]!))) {
    return null;
  }
  let title = line.slice(level).trim();
  const unclosed = title.replace(/#+$/u, "");
  if (unclosed.length < title.length && (unclosed === "" || /\s$/u.test(unclosed))) {
    title = unclosed.trimEnd();
  }
  return [level, title];
}

const STUB = /^[-*+](?:\s+\[[ xX]?\])?$/u;
const EMPTY_FENCE = /^`{3,}\s*[\p{L}\p{N}_+.#-]*$/u;

function isEmptyLine(line: string): boolean {
  return line === "" || atxHeading(line) !== null || STUB.test(line) || EMPTY_FENCE.test(line);
}

/**
 * True when the file exists but asks for nothing (SPEC §1.3): every trimmed line, once HTML
 * comments are gone, is blank, an ATX heading, an empty list stub (`-`, `*`, `+`, optionally
 * with `[ ]`/`[x]`) or a code-fence marker. `null` (no file) is *not* empty: the beat runs on the
 * default prompt.
 */
export function isEffectivelyEmpty(text: string | null): boolean {
  if (text === null) {
    return false;
  }
  return stripComments(splitLines(text)).every((line) => isEmptyLine(line.trim()));
}

export type Category = "checklist" | "rules" | "behaviors";

export interface CadenceTask {
  heading: string;
  cadence: string;
  items: number;
}

export interface HeartbeatPreview {
  exists: boolean;
  effectivelyEmpty: boolean;
  checklist: string[];
  rules: string[];
  behaviors: string[];
  headings: string[];
  tasks: CadenceTask[];
  problems: string[];
}

const CATEGORIES: [string, Category][] = [
  ["proactive behaviours", "behaviors"],
  ["proactive behaviors", "behaviors"],
  ["response guidelines", "rules"],
  ["what to check", "checklist"],
  ["guidelines", "rules"],
  ["behaviours", "behaviors"],
  ["behaviors", "behaviors"],
  ["checklist", "checklist"],
  ["checks", "checklist"],
  ["tasks", "checklist"],
  ["rules", "rules"],
];
const QUALIFIER = /^\s*(?:[(:[]|[-–—]\s)\s*(.*?)[)\]]?\s*$/u;
const FENCE_OPEN = /^(`{3,}|~{3,})(.*)$/u;
const LIST_MARKER = /^(?:[-*+]|[0-9]{1,9}[.)])(?:\s+|$)/u;
const CHECKBOX = /^\[[ xX]\](?:\s+|$)/u;
const THEMATIC_BREAK = /^(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$/u;
const WEEKDAY =
  /^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|rsday|urday|sday)?s?$/u;
const TIME = /^(\d{1,2})(?::(\d{2}))?(am|pm)?$/u;
const EVERY_UNITS =
  /^(?:ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|weeks?|wks?)$/u;

function plainTitle(title: string): string {
  return title
    .replace(/[*_`]/gu, "")
    .toLowerCase()
    .split(/\s+/u)
    .filter(Boolean)
    .join(" ")
    .replace(/:$/u, "");
}

function isTime(word: string): boolean {
  const match = TIME.exec(word);
  if (match === null) {
    return false;
  }
  const hour = Number(match[1]);
  const minute = match[2] === undefined ? 0 : Number(match[2]);
  const limit = match[3] === undefined ? 23 : 12;
  return hour <= limit && minute <= 59 && (match[3] === undefined || hour >= 1);
}

/**
 * The cadence a heading names, as `[kind, problem]`: kind null when the heading is no cadence;
 * a problem when it starts like one but is broken (`Every 1h30`, `Daily 25:00`). A light mirror
 * of the server's grammar: the server decides.
 */
export function headingCadence(title: string): [string | null, string | null] {
  const words = title
    .toLowerCase()
    .replace(/[*_`()[\],]|:(?=\s|$)|\s[-–—]\s/gu, " ")
    .split(/\s+/u)
    .filter((w) => w !== "" && w !== "at" && w !== "on");
  const [first, second, third] = words;
  const broken = (why: string): [null, string] => [null, `"${title}": ${why}`];
  switch (first) {
    case "hourly":
      return ["hourly", null];
    case "continuous":
      return ["continuous", null];
    case "daily":
      return second === undefined || !/^\d/u.test(second) || isTime(second)
        ? ["daily", null]
        : broken("not a time of day (expected 09:00 or 9am)");
    case "weekly":
      return second === undefined || WEEKDAY.test(second) || isTime(second)
        ? ["weekly", null]
        : broken("not a weekday or time");
    case "every": {
      if (second === undefined) {
        return broken("every what? (expected Every 2h, Every day, Every Monday)");
      }
      if (["hour", "day", "heartbeat", "heartbeats", "beat", "beats", "week"].includes(second)) {
        const kinds: Record<string, string> = { hour: "hourly", day: "daily", week: "weekly" };
        return [kinds[second] ?? "continuous", null];
      }
      if (WEEKDAY.test(second)) {
        return ["weekly", null];
      }
      if (third !== undefined && /^[0-9.]+$/u.test(second) && EVERY_UNITS.test(third)) {
        return Number(second) > 0 ? ["every", null] : broken("a cadence must be positive");
      }
      if (!/^[0-9.]/u.test(second)) {
        return [null, null];
      }
      const interval = parseIntervalWord(second);
      return interval === "ok" ? ["every", null] : broken(interval);
    }
    default:
      return [null, null];
  }
}

function parseIntervalWord(word: string): string {
  if (/^(?:(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:ms|s|m|h|d))+$|^[0-9.]+$/u.test(word)) {
    return /[1-9]/u.test(word) ? "ok" : "a cadence must be positive";
  }
  return `${JSON.stringify(word)} is not a duration (examples: 2h, 30m, 1.5h)`;
}

function categoryOf(title: string): Category | null {
  const plain = plainTitle(title);
  for (const [name, category] of CATEGORIES) {
    if (plain === name) {
      return category;
    }
    if (plain.startsWith(name) && QUALIFIER.test(plain.slice(name.length))) {
      return category;
    }
  }
  return null;
}

function itemText(line: string): string {
  let text = line.trim().replace(LIST_MARKER, "");
  text = text.replace(CHECKBOX, "");
  return text.trim();
}

interface Scope {
  level: number;
  owner: Category | CadenceTask | null;
}

/** What the text asks for, read line by line (headings, fences, comments, lists). */
export function previewHeartbeat(text: string | null): HeartbeatPreview {
  const preview: HeartbeatPreview = {
    exists: text !== null,
    effectivelyEmpty: isEffectivelyEmpty(text),
    checklist: [],
    rules: [],
    behaviors: [],
    headings: [],
    tasks: [],
    problems: [],
  };
  if (text === null) {
    return preview;
  }
  const lines = stripComments(splitLines(text));
  const stack: Scope[] = [];
  let fence: string | null = null;
  let inTaskBlock = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (fence !== null) {
      if (line.startsWith(fence) && line === fence[0]!.repeat(line.length)) {
        fence = null;
      }
      continue;
    }
    const opener = FENCE_OPEN.exec(line);
    if (opener !== null && !(opener[1]![0] === "`" && opener[2]!.includes("`"))) {
      fence = opener[1]!;
      continue;
    }
    if (/^tasks:\s*$/u.test(raw)) {
      inTaskBlock = true;
      continue;
    }
    if (inTaskBlock) {
      const entry = /^\s*-\s+name\s*:\s*(.*)$/u.exec(raw);
      if (entry !== null) {
        preview.tasks.push({ heading: entry[1]!.trim(), cadence: "tasks: block", items: 1 });
        continue;
      }
      if (line === "" || /^\s/u.test(raw)) {
        continue;
      }
      inTaskBlock = false;
    }
    const head = atxHeading(line);
    if (head !== null) {
      const [level, title] = head;
      while (stack.length > 0 && stack[stack.length - 1]!.level >= level) {
        stack.pop();
      }
      preview.headings.push(title);
      const parent = stack.length > 0 ? stack[stack.length - 1]!.owner : null;
      const [cadence, problem] = headingCadence(title);
      if (problem !== null) {
        preview.problems.push(problem);
      }
      let owner: Scope["owner"];
      if (cadence !== null) {
        const task: CadenceTask = { heading: title, cadence, items: 0 };
        preview.tasks.push(task);
        owner = task;
      } else if (parent !== null && typeof parent === "object") {
        owner = parent;
      } else {
        owner = categoryOf(title) ?? parent;
      }
      stack.push({ level, owner });
      continue;
    }
    if (line === "" || THEMATIC_BREAK.test(line)) {
      continue;
    }
    const owner = stack.length > 0 ? stack[stack.length - 1]!.owner : null;
    const item = itemText(line);
    if (owner === null || item === "") {
      continue;
    }
    if (typeof owner === "object") {
      owner.items += 1;
    } else {
      preview[owner].push(item);
    }
  }
  for (const task of preview.tasks) {
    if (task.items === 0) {
      preview.problems.push(`section "${task.heading}" has a cadence but nothing to do`);
    }
  }
  preview.tasks = preview.tasks.filter((task) => task.items > 0);
  return preview;
}
