/**
 * migrations/moose.sum, atlas.sum style. Line 1 is `h1:<hash of everything>`; then one line per
 * migration file in order, `<file> h1:<running hash>`, where the running hash covers every file up
 * to and including that one (name and bytes). Editing, adding, removing or reordering any file
 * changes its line and every later line; two branches that each add a migration always conflict
 * on line 1 in git, so a merge cannot silently interleave migrations.
 */
import { createHash } from "node:crypto";

export interface SumEntry {
  fileName: string;
  content: Buffer | string;
}

export interface SumLine {
  fileName: string;
  hash: string;
}

export interface MigrationSum {
  total: string;
  lines: SumLine[];
}

export function computeSum(entries: SumEntry[]): MigrationSum {
  const running = createHash("sha256");
  const lines: SumLine[] = [];
  for (const entry of entries) {
    running.update(entry.fileName);
    running.update(entry.content);
    lines.push({ fileName: entry.fileName, hash: `h1:${running.copy().digest("base64")}` });
  }
  return { total: `h1:${running.digest("base64")}`, lines };
}

export function formatSum(sum: MigrationSum): string {
  return [sum.total, ...sum.lines.map((line) => `${line.fileName} ${line.hash}`)].join("\n") + "\n";
}

/** Parses leniently: a line that is not `<file> h1:…` (e.g. a git conflict marker) is kept as unparsable. */
export function parseSum(text: string): { total?: string; lines: SumLine[]; unparsable: string[] } {
  const rows = text.split(/\r?\n/).filter((row) => row.trim() !== "");
  const total = rows[0] && /^h1:\S+$/.test(rows[0]) ? rows[0] : undefined;
  const lines: SumLine[] = [];
  const unparsable: string[] = [];
  for (const row of total ? rows.slice(1) : rows) {
    const match = /^(\S+) (h1:\S+)$/.exec(row);
    if (match) lines.push({ fileName: match[1]!, hash: match[2]! });
    else unparsable.push(row);
  }
  return { total, lines, unparsable };
}

export type SumProblem =
  | { kind: "changed"; fileName: string }
  | { kind: "unsummed"; fileName: string }
  | { kind: "missing"; fileName: string }
  | { kind: "corrupt"; detail: string };

/** The first disagreement between the recorded sum and the files, or undefined when they agree. */
export function compareSum(recordedText: string, actual: MigrationSum): SumProblem | undefined {
  const recorded = parseSum(recordedText);
  if (recorded.unparsable.length > 0) return { kind: "corrupt", detail: recorded.unparsable[0]! };
  for (let index = 0; index < Math.max(recorded.lines.length, actual.lines.length); index++) {
    const expected = recorded.lines[index];
    const found = actual.lines[index];
    if (!expected) return { kind: "unsummed", fileName: found!.fileName };
    if (!found) return { kind: "missing", fileName: expected.fileName };
    if (expected.fileName !== found.fileName) {
      const stillPresent = actual.lines.some((line) => line.fileName === expected.fileName);
      return stillPresent ? { kind: "unsummed", fileName: found.fileName } : { kind: "missing", fileName: expected.fileName };
    }
    if (expected.hash !== found.hash) return { kind: "changed", fileName: found.fileName };
  }
  if (recorded.total !== actual.total) return { kind: "corrupt", detail: `first line ${recorded.total ?? "(absent)"}` };
  return undefined;
}
