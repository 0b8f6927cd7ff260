/**
 * Where user code created an SDK object. The plugin injects it; without the plugin (plain
 * tsx/node runs, objects created inside the SDK) the first stack frame outside the SDK is used.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { SourceLocation } from "../errors.js";

const FRAME = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?$/;

export function projectRoot(): string {
  return process.env.MOOSE_PROJECT_DIR ?? process.cwd();
}

export function callerLocation(): SourceLocation {
  const frames = (new Error().stack ?? "").split("\n").slice(1);
  for (const frame of frames) {
    const match = FRAME.exec(frame.trim());
    if (!match) continue;
    const file = match[1].startsWith("file://") ? fileURLToPath(match[1]) : match[1];
    if (file.startsWith("node:") || isSdkFile(file)) continue;
    return { file: relativeToProject(file), line: Number(match[2]), col: Number(match[3]) };
  }
  return { file: "<unknown>", line: 0 };
}

function isSdkFile(file: string): boolean {
  const normal = file.split(path.sep).join("/");
  return normal.includes("/src/sdk/") || normal.includes("/dist/sdk/") || normal.includes("/node_modules/moose-ts/");
}

export function relativeToProject(file: string): string {
  const relative = path.relative(projectRoot(), file);
  return (relative.startsWith("..") || path.isAbsolute(relative) ? file : relative).split(path.sep).join("/");
}

export function formatSource(source: SourceLocation): string {
  return `${source.file}:${source.line}${source.col ? `:${source.col}` : ""}`;
}
