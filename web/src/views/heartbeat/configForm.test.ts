import { describe, expect, it } from "vitest";
import { makeConfig } from "../../test/fakeApi";
import { configChanges, formFromConfig, validateForm } from "./configForm";

describe("config form", () => {
  it("reads a preset interval into the select and another into the custom box", () => {
    expect(formFromConfig(makeConfig({ every: "1h" })).everyChoice).toBe("1h");
    const custom = formFromConfig(makeConfig({ every: "2h30m" }));
    expect([custom.everyChoice, custom.everyCustom]).toEqual(["custom", "2h30m"]);
  });

  it("sends only changes, emptied fields as null", () => {
    const initial = formFromConfig(
      makeConfig({ model: "llama3.2", temperature: 0.3, active_hours: { start: "09:00", end: "17:00", timezone: "UTC" } }),
    );
    expect(configChanges(initial, initial)).toEqual({});
    const edited = { ...initial, model: "", temperature: "0.7", hoursOn: false, dryRun: true, enabled: false };
    expect(configChanges(initial, edited)).toEqual({
      enabled: false,
      model: null,
      temperature: 0.7,
      dry_run: true,
      active_hours: null,
    });
  });

  it.each([
    [{ everyChoice: "custom", everyCustom: "1h30" }, "every"],
    [{ maxTokens: "2.5" }, "max_tokens"],
    [{ maxTokens: "0" }, "max_tokens"],
    [{ temperature: "-1" }, "temperature"],
    [{ temperature: "3" }, "temperature"],
    [{ hoursOn: true, start: "9:00" }, "active_hours.start"],
    [{ hoursOn: true, end: "24:01" }, "active_hours.end"],
  ])("refuses %j naming %s", (patch, key) => {
    const form = { ...formFromConfig(makeConfig()), ...patch };
    const errors = validateForm(form);
    expect(Object.keys(errors)).toEqual([key]);
    expect(errors[key as keyof typeof errors]).toMatch(new RegExp(`^${key.replace(".", "\\.")}`));
  });

  it("accepts 24:00 as an end and 0m as disabled", () => {
    const form = { ...formFromConfig(makeConfig()), hoursOn: true, end: "24:00", everyChoice: "custom", everyCustom: "0m" };
    expect(validateForm(form)).toEqual({});
  });
});
