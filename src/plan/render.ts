/**
 * The plan as text, in the docs' layout ("Understanding Plan Output"): new, modified and removed
 * components with column-level detail, then one warning line per operation that loses data,
 * rewrites data or breaks consumers, one per blocked change, and a hint per possible rename.
 * Colour only when the caller asks (it decides from TTY and NO_COLOR).
 */
import type { DiffResult, Operation, RenameCandidate, Risk } from "../diff/operations.js";
import { COMPONENT_LABELS, operationEffect, planComponents, type ComponentChangeDetail, type PlannedComponent } from "./components.js";

export interface RenderOptions {
  color?: boolean;
}

const ANSI = { reset: "\u001b[0m", bold: "\u001b[1m", red: "\u001b[31m", green: "\u001b[32m", yellow: "\u001b[33m", cyan: "\u001b[36m" };
type Paint = (style: keyof typeof ANSI, text: string) => string;

const SIGN_STYLE: Record<ComponentChangeDetail["sign"], keyof typeof ANSI> = { "+": "green", "-": "red", "~": "yellow", "↻": "cyan" };

const RISK_WORDS: Record<Exclude<Risk, "safe">, string> = {
  "data-loss": "data loss",
  rewrite: "rewrites data",
  breaking: "breaks consumers",
};

/** The flag that declares a rename, as `moose plan` and `moose migrate generate` accept it. */
export function renameFlag(candidate: RenameCandidate): string {
  return `--rename ${candidate.table}.${candidate.from}=${candidate.to}`;
}

/** Control characters in names (a newline in a table name) are shown escaped, so no name can forge plan lines. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (ch) => JSON.stringify(ch).slice(1, -1));
}

function componentLine(component: PlannedComponent, paint: Paint): string[] {
  const sign = component.change === "new" ? "+" : component.change === "removed" ? "-" : "~";
  const label = component.label ?? (component.change === "modified" ? component.changeLabel! : COMPONENT_LABELS[component.kind]);
  const detail = component.labelDetail !== undefined ? `, ${printable(component.labelDetail)}` : "";
  const lines = [`  ${paint(SIGN_STYLE[sign], `${sign} ${printable(component.name)}`)} (${label}${detail})`];
  for (const detail of component.details) {
    const text = `${detail.sign} ${printable(detail.text)}`;
    lines.push(`      ${paint(SIGN_STYLE[detail.sign], text)}${detail.effect ? ` — ${detail.effect}` : ""}`);
  }
  return lines;
}

function warningLine(op: Operation, paint: Paint): string | null {
  if (op.risk === "safe") return null;
  const effect = operationEffect(op);
  return `${paint("yellow", `⚠️  ${RISK_WORDS[op.risk]}:`)} ${printable(op.summary)}${effect ? ` — ${effect}` : ""}`;
}

export function renderPlan(result: DiffResult, options: RenderOptions = {}): string {
  const paint: Paint = options.color ? (style, text) => `${ANSI[style]}${text}${ANSI.reset}` : (_style, text) => text;
  const kept = result.kept.map((change) => `${paint("cyan", "🛡  kept:")} ${printable(change.summary)} is not done — ${printable(change.reason)}`);
  if (result.operations.length === 0 && result.blocked.length === 0) return ["No changes.", ...kept].join("\n") + "\n";

  const components = planComponents(result.operations);
  const lines: string[] = [paint("bold", "Infrastructure Changes:")];
  const sections: Array<[string, PlannedComponent["change"]]> = [
    ["✨ New Components", "new"],
    ["🔄 Modified Components", "modified"],
    ["❌ Removed Components", "removed"],
  ];
  for (const [title, change] of sections) {
    const members = components.filter((component) => component.change === change);
    if (members.length === 0) continue;
    lines.push("", paint("bold", title));
    for (const component of members) lines.push(...componentLine(component, paint));
  }

  const warnings = [
    ...result.operations.map((op) => warningLine(op, paint)).filter((line): line is string => line !== null),
    ...result.blocked.map((blocked) => `${paint("red", "⛔ blocked:")} ${printable(blocked.summary)} — ${printable(blocked.reason)}`),
    ...kept,
    ...result.renameCandidates.map(
      (candidate) =>
        `${paint("cyan", "💡 rename?")} ${printable(candidate.table)}: ${printable(candidate.from)} is dropped and ${printable(candidate.to)} added with the same type. ` +
        `If it is a rename, plan again with \`${printable(renameFlag(candidate))}\` to keep the data.`,
    ),
  ];
  if (warnings.length > 0) lines.push("", ...warnings);
  return `${lines.join("\n")}\n`;
}
