/**
 * `migrations/draft.ts`: the whole change from `migrations/snapshot.json` (the state after the newest
 * migration file) to the code, rendered with the same template and steps as `moose migrate generate`,
 * rewritten by `moose dev` after every good save so the reviewable migration is always in view.
 * `moose migrate generate` writes the timestamped file; the snapshot then equals the code and the
 * next reload deletes the draft. The migration loader only reads `<timestamp>_<slug>.ts`, so the
 * draft is never applied or hashed into moose.sum.
 */
import { existsSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import path from "node:path";
import { diffManifests, withKept } from "../diff/index.js";
import type { DiffResult } from "../diff/operations.js";
import { mooseTsPackage } from "../cli/package-info.js";
import { hashManifest } from "../manifest/canonical.js";
import { emptyManifest, type Manifest } from "../manifest/types.js";
import { migrationSteps } from "../migrations/generate.js";
import { migrationsLayout } from "../migrations/layout.js";
import { readSnapshotManifest } from "../migrations/snapshots.js";
import { dataEffect } from "../migrations/effects.js";
import type { MigrationFileModel } from "../migrations/render.js";
import { writeFileAtomic } from "../files.js";

export const DRAFT_FILE = "draft.ts";
export const DRAFT_ID = "draft";

/** The header line naming the draft's change by its states' full hashes and the moose-ts that rendered it. */
const identityLine = (identity: string) => ` * Draft of ${identity}.`;
/** The header's first lines, where that line is, fit in this many bytes. */
const HEADER_BYTES = 512;

/** Where the template's body (after its `moose migrate generate` header comment) starts. */
const BODY_START = "import { defineMigration }";

/** written: created or changed · unchanged · deleted: the code now matches the snapshot · none: no draft, none needed. */
export type DraftResult = "written" | "unchanged" | "deleted" | "none";

export class DraftWriter {
  private lastWritten: string | undefined;

  constructor(private readonly projectDir: string) {}

  get file(): string {
    return path.join(migrationsLayout(this.projectDir).dir, DRAFT_FILE);
  }

  /** Brings draft.ts in line with `code`: rewritten when the change differs, deleted when there is none. */
  async update(code: Manifest): Promise<DraftResult> {
    const layout = migrationsLayout(this.projectDir);
    const file = this.file;
    const base = existsSync(layout.snapshot) ? await readSnapshotManifest(layout) : emptyManifest();
    const plan = diffManifests(base, code);
    if (plan.operations.length === 0) {
      this.lastWritten = undefined;
      if (!existsSync(file)) return "none";
      await rm(file, { force: true });
      return "deleted";
    }
    const from = hashManifest(base);
    // As `moose migrate generate` would record it (with what DELETION_PROTECTED keeps).
    const to = hashManifest(withKept(code, base, plan.kept));
    // An upgraded moose-ts may render the same change differently: its version is part of what the draft is of.
    const identity = `${from} → ${to} by moose-ts ${mooseTsPackage().version}`;
    // A restarted dev finds the draft of the same change on disk: neither rendered nor touched again.
    this.lastWritten ??= await draftIdentity(file);
    if (identity === this.lastWritten && existsSync(file)) return "unchanged";
    const { up, down, irreversible } = migrationSteps(plan.operations);
    const { text, template } = await render({ id: DRAFT_ID, createdAt: new Date(), from, to, operations: plan.operations, up, down, irreversible });
    const body = text.indexOf(BODY_START);
    if (body === -1) throw new Error(`migrations-template/${template} no longer contains "${BODY_START}": update src/dev/draft.ts`);
    // An editor or test reading it never sees half a file.
    await writeFileAtomic(file, draftHeader(from, to, identity, plan) + text.slice(body));
    this.lastWritten = identity;
    return "written";
  }
}

/** The template's header speaks of a generated, editable file; the draft is neither. */
function draftHeader(from: string, to: string, identity: string, plan: DiffResult): string {
  const changes = plan.operations.map((op, index) => ` *   ${index + 1}. [${op.risk}] ${oneLine(op.summary)}\n *      existing data: ${oneLine(dataEffect(op))}`);
  const dataLoss = plan.operations.some((op) => op.risk === "data-loss");
  return [
    "/**",
    " * DRAFT migration, rewritten by `moose dev` after every save: edits here are overwritten.",
    identityLine(identity),
    ` * The change from migrations/snapshot.json (state ${from.slice(0, 12)}) to the code (state ${to.slice(0, 12)}):`,
    ...changes,
    " *",
    " * `moose migrate generate` writes it as a timestamped migration file to review, edit and commit;",
    ` * moose dev then deletes this draft.${dataLoss ? " It drops data: generate needs --allow-data-loss." : ""}`,
    " */",
    "",
  ].join("\n");
}

/** Loaded on use: Handlebars and the template are not needed by a start whose draft is already on disk. */
async function render(model: MigrationFileModel): Promise<{ text: string; template: string }> {
  const { renderMigrationFile, TEMPLATE_FILE } = await import("../migrations/render.js");
  return { text: await renderMigrationFile(model), template: TEMPLATE_FILE };
}

/** The change the draft on disk is of (its identity line), if there is one. */
async function draftIdentity(file: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch {
    return undefined;
  }
  try {
    const buffer = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEADER_BYTES, 0);
    const header = buffer.toString("utf8", 0, bytesRead);
    return /^ \* Draft of ([0-9a-f]{64} → [0-9a-f]{64} by moose-ts \S+)\.$/m.exec(header)?.[1];
  } finally {
    await handle.close();
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").replace(/\*\//g, "* /");
}
