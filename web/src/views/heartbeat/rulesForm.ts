import type { ThreadConfig } from "../../api/types";
import { effectiveMap } from "./configForm";

export const ACTION_TYPES = ["message", "post", "comment", "vote", "none"] as const;
export const LIMITED = ["message", "post", "comment", "vote"] as const;

/** What only the config file could set before: allowed actions, approvals, limits, dedupe,
 * context and visibility. Limits are edited as text, e.g. `1/20s, 50/1d` ("" = no limit). */
export interface RulesState {
  allowed: string[];
  approval: string[];
  limits: Record<string, string>;
  dedupe: string;
  context: string;
  showOk: boolean;
  showAlerts: boolean;
  useIndicator: boolean;
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

export function rulesFromConfig(config: ThreadConfig): RulesState {
  const rows = effectiveMap(config);
  const value = (key: string): unknown => rows.get(key)?.value;
  const limits: Record<string, string> = {};
  for (const kind of LIMITED) {
    limits[kind] = list(value(`actions.limits.${kind}`)).join(", ");
  }
  return {
    allowed: list(value("actions.allowed")),
    approval: list(value("actions.requires_approval")),
    limits,
    dedupe: String(value("dedupe") ?? "exact"),
    context: String(value("context") ?? "light"),
    showOk: value("visibility.show_ok") === true,
    showAlerts: value("visibility.show_alerts") !== false,
    useIndicator: value("visibility.use_indicator") !== false,
  };
}

function limitList(text: string): string[] {
  return text
    .split(",")
    .map((piece) => piece.trim())
    .filter(Boolean);
}

const same = (a: readonly string[], b: readonly string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

/** The body for `POST …/heartbeat/config` with only what changed; the server checks it all and
 * answers with the same messages as for any API client. */
export function rulesChanges(initial: RulesState, form: RulesState): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  const actions: Record<string, unknown> = {};
  if (!same(initial.allowed, form.allowed)) {
    actions["allowed"] = ACTION_TYPES.filter((t) => form.allowed.includes(t));
  }
  if (!same(initial.approval, form.approval)) {
    actions["requires_approval"] = LIMITED.filter((t) => form.approval.includes(t));
  }
  const limits: Record<string, string[]> = {};
  for (const kind of LIMITED) {
    if (limitList(form.limits[kind] ?? "").join(",") !== limitList(initial.limits[kind] ?? "").join(",")) {
      limits[kind] = limitList(form.limits[kind] ?? "");
    }
  }
  if (Object.keys(limits).length > 0) {
    actions["limits"] = limits;
  }
  if (Object.keys(actions).length > 0) {
    changes["actions"] = actions;
  }
  if (form.dedupe !== initial.dedupe) {
    changes["dedupe"] = form.dedupe;
  }
  if (form.context !== initial.context) {
    changes["context"] = form.context;
  }
  const visibility: Record<string, boolean> = {};
  if (form.showOk !== initial.showOk) visibility["show_ok"] = form.showOk;
  if (form.showAlerts !== initial.showAlerts) visibility["show_alerts"] = form.showAlerts;
  if (form.useIndicator !== initial.useIndicator) visibility["use_indicator"] = form.useIndicator;
  if (Object.keys(visibility).length > 0) {
    changes["visibility"] = visibility;
  }
  return changes;
}
