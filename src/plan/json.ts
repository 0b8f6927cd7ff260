/**
 * The plan as one JSON value (`moose plan --json`, `/admin/plan`). Its shape is documented in
 * docs/plan-json.md and only grows: fields are added, never renamed or removed, within version 1.
 */
import type { BlockedChange, DiffResult, KeptChange, Operation, Risk } from "../diff/operations.js";
import type { Step } from "../steps/index.js";
import { COMPONENT_LABELS, operationEffect, planComponents, type ChangeLabel, type ComponentChangeDetail, type ComponentKind } from "./components.js";
import { renameFlag } from "./render.js";
import { operationSteps } from "./steps.js";

export const PLAN_JSON_VERSION = 1 as const;

export interface PlanJsonComponent {
  kind: ComponentKind;
  /** `OLAP Table`, `Streaming Topic`, `Sync Process`, … as in the text plan (a modified process shows its own label, not the change's). */
  label: string;
  name: string;
  change: "new" | "modified" | "removed";
  changeLabel?: ChangeLabel;
  /** A new scheduled workflow's schedule in words (`every day at 02:00`). */
  labelDetail?: string;
  details: ComponentChangeDetail[];
  /** Indexes into `operations`. */
  operations: number[];
}

export type PlanJsonOperation = Operation & {
  /** What it does to existing data or consumers (absent for safe operations). */
  effect?: string;
  /** The migration steps this operation becomes (see src/plan/steps.ts). */
  steps: { up: Step[]; down: Step[]; irreversible?: string };
};

export interface PlanJson {
  version: typeof PLAN_JSON_VERSION;
  /** Manifest hashes the plan goes between, when the caller knows them. */
  from?: string;
  to?: string;
  hasChanges: boolean;
  /** true when an operation drops data or a change is blocked: `--detailed-exitcode` exits 3. */
  hasDataLoss: boolean;
  hasBlocked: boolean;
  summary: {
    new: number;
    modified: number;
    removed: number;
    operations: number;
    blocked: number;
    kept: number;
    byRisk: Record<Risk, number>;
  };
  components: PlanJsonComponent[];
  operations: PlanJsonOperation[];
  blocked: BlockedChange[];
  /** Removals of DELETION_PROTECTED objects, not made: they stay (not counted in hasChanges). */
  kept: KeptChange[];
  renameCandidates: Array<{ table: string; from: string; to: string; flag: string }>;
}

export function planToJson(result: DiffResult, hashes: { from?: string; to?: string } = {}): PlanJson {
  const components = planComponents(result.operations).map(
    (component): PlanJsonComponent => ({
      kind: component.kind,
      label: component.label ?? COMPONENT_LABELS[component.kind],
      name: component.name,
      change: component.change,
      ...(component.changeLabel ? { changeLabel: component.changeLabel } : {}),
      ...(component.labelDetail ? { labelDetail: component.labelDetail } : {}),
      details: component.details,
      operations: component.operations,
    }),
  );
  const byRisk: Record<Risk, number> = { safe: 0, "data-loss": 0, rewrite: 0, breaking: 0 };
  for (const op of result.operations) byRisk[op.risk]++;
  const count = (change: PlanJsonComponent["change"]) => components.filter((component) => component.change === change).length;
  return {
    version: PLAN_JSON_VERSION,
    ...(hashes.from !== undefined ? { from: hashes.from } : {}),
    ...(hashes.to !== undefined ? { to: hashes.to } : {}),
    hasChanges: result.operations.length > 0 || result.blocked.length > 0,
    hasDataLoss: byRisk["data-loss"] > 0,
    hasBlocked: result.blocked.length > 0,
    summary: {
      new: count("new"),
      modified: count("modified"),
      removed: count("removed"),
      operations: result.operations.length,
      blocked: result.blocked.length,
      kept: result.kept.length,
      byRisk,
    },
    components,
    operations: result.operations.map((op) => {
      const effect = operationEffect(op);
      return { ...op, ...(effect !== undefined ? { effect } : {}), steps: operationSteps(op) };
    }),
    blocked: result.blocked,
    kept: result.kept,
    renameCandidates: result.renameCandidates.map((candidate) => ({ ...candidate, flag: renameFlag(candidate) })),
  };
}
