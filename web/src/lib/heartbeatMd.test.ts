import { describe, expect, it } from "vitest";
import { atxHeading, headingCadence, isEffectivelyEmpty, previewHeartbeat } from "./heartbeatMd";

const FENCE = "```";

describe("isEffectivelyEmpty (SPEC §1.3, vectors B1–B13)", () => {
  const table: [string, string | null, boolean][] = [
    ["B1 missing file", null, false],
    ["B2 empty text", "", true],
    ["B3 spaces", "   ", true],
    ["B3 newlines", "\n\n\n", true],
    ["B3 tabs", "\t\t", true],
    ["B4 title", "# HEARTBEAT.md", true],
    ["B4 title with newlines", "# HEARTBEAT.md\n\n\n", true],
    ["B5 headings", "# Header\n# Another comment", true],
    ["B5 sub-headings", "## Subheader\n### Another", true],
    ["B6 an item", "- Check email", false],
    ["B7 title and item", "# HEARTBEAT.md\n- Task 1", false],
    ["B8 a sentence", "Remind me to call mom", false],
    ["B9 plain line under Tasks", "# HEARTBEAT.md\n## Tasks\nCheck the server logs", false],
    ["B10 nested headings", "# HEARTBEAT.md\n## Section 1\n### Subsection", true],
    [
      "B11 fence with a heading and an item",
      `${FENCE}\n# Keep this file empty when you want to skip.\n\n- Check email\n${FENCE}`,
      false,
    ],
    [
      "B12 fence with a sentence",
      `${FENCE}\nKeep this file empty unless you want a tiny checklist.\n${FENCE}`,
      false,
    ],
    ["B13 unchecked checkbox with text", "- [ ] Check email", false],
    ["#TODO is content", "#TODO", false],
    ["seven hashes are content", "####### deep", false],
    ["heading with only hashes", "#", true],
    ["empty stubs", "-\n*\n+\n- [ ]\n* [x]\n+ []", true],
    ["empty fences", `${FENCE}\n${FENCE}python\n${FENCE}`, true],
    ["comment on one line", "<!-- nothing here -->", true],
    ["comment over lines", "# T\n<!--\n- Check email\nanything\n-->\n", true],
    ["unclosed comment", "# T\n<!-- - Check email", true],
    ["text after a comment", "<!-- note --> Check email", false],
    ["text before a comment", "Check email <!-- note -->", false],
    ["CRLF endings", "# T\r\n\r\n- \r\n", true],
    ["indented heading", "   ## Rules   ", true],
    ["numbered item", "1. Check email", false],
    ["tilde fence is content", "~~~", false],
    ["thematic break is content", "---", false],
  ];
  it.each(table)("%s", (_name, text, expected) => {
    expect(isEffectivelyEmpty(text)).toBe(expected);
  });
});

describe("atxHeading", () => {
  it.each([
    ["# Title", [1, "Title"]],
    ["###### Six", [6, "Six"]],
    ["## Closed ##", [2, "Closed"]],
    ["## C#", [2, "C#"]],
    ["#", [1, ""]],
    ["#TODO", null],
    ["####### Seven", null],
  ] as const)("%j", (line, expected) => {
    expect(atxHeading(line)).toEqual(expected);
  });
});

describe("headingCadence", () => {
  it.each([
    ["Every 2h", "every"],
    ["Every 30 minutes", "every"],
    ["Hourly", "hourly"],
    ["Daily", "daily"],
    ["Daily 09:00", "daily"],
    ["Daily at 9am", "daily"],
    ["Weekly (Monday)", "weekly"],
    ["Every Monday 09:00", "weekly"],
    ["Continuous (every heartbeat)", "continuous"],
    ["Every heartbeat", "continuous"],
    ["Checklist", null],
    ["Everything else", null],
  ])("%j is %j", (title, kind) => {
    expect(headingCadence(title)[0]).toBe(kind);
  });

  it.each(["Every 1h30", "Daily 25:00", "Every 0m"])("%j is a broken cadence", (title) => {
    const [kind, problem] = headingCadence(title);
    expect(kind).toBeNull();
    expect(problem).toContain(title);
  });
});

describe("previewHeartbeat", () => {
  it("counts checklist, rules and behaviors items", () => {
    const preview = previewHeartbeat(
      [
        "# HEARTBEAT.md",
        "## Checklist",
        "- Check emails",
        "* [ ] Review contradictions",
        "1. Read the ledger",
        "## Rules",
        "If no urgent items → silent.",
        "If 5+ posts → summarize.",
        "---",
        "## Proactive Behaviors",
        "- Vote on consensus questions",
        "## Notes",
        "- not counted",
      ].join("\n"),
    );
    expect(preview.checklist).toEqual(["Check emails", "Review contradictions", "Read the ledger"]);
    expect(preview.rules).toHaveLength(2);
    expect(preview.behaviors).toEqual(["Vote on consensus questions"]);
    expect(preview.headings).toEqual(["HEARTBEAT.md", "Checklist", "Rules", "Proactive Behaviors", "Notes"]);
    expect(preview.effectivelyEmpty).toBe(false);
  });

  it("puts items under a cadence heading into its task", () => {
    const preview = previewHeartbeat(
      "## Daily 09:00\n- Summarize yesterday\n- Plan today\n## Every 2h\n- Check the build\n## Hourly\n",
    );
    expect(preview.tasks).toEqual([
      { heading: "Daily 09:00", cadence: "daily", items: 2 },
      { heading: "Every 2h", cadence: "every", items: 1 },
    ]);
    expect(preview.checklist).toEqual([]);
    expect(preview.problems).toEqual(['section "Hourly" has a cadence but nothing to do']);
  });

  it("reads a tasks: block", () => {
    const preview = previewHeartbeat(
      "tasks:\n- name: inbox\n  interval: 30m\n  prompt: Check the inbox\n- name: build\n  interval: 2h\n  prompt: x\n",
    );
    expect(preview.tasks.map((t) => t.heading)).toEqual(["inbox", "build"]);
  });

  it("ignores comments and fenced code", () => {
    const preview = previewHeartbeat(
      "## Checklist\n<!-- - hidden -->\n```\n- in a fence\n```\n- shown\n",
    );
    expect(preview.checklist).toEqual(["shown"]);
  });

  it("says a missing file is not empty", () => {
    const preview = previewHeartbeat(null);
    expect(preview.exists).toBe(false);
    expect(preview.effectivelyEmpty).toBe(false);
  });
});
