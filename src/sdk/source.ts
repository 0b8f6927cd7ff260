/**
 * Where user code created an SDK object. The plugin injects it; without the plugin (objects the
 * SDK creates itself, plain runs) the first stack frame outside the SDK is used.
 * No Node imports here: the SDK must type-check in apps without @types/node.
 */
import type { SourceLocation } from "../errors.js";

interface ProcessLike {
  env: Record<string, string | undefined>;
  cwd(): string;
}

const FRAME = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?$/;

function runtimeProcess(): ProcessLike | undefined {
  return (globalThis as { process?: ProcessLike }).process;
}

export function projectRoot(): string {
  const current = runtimeProcess();
  return current?.env.MOOSE_PROJECT_DIR ?? current?.cwd() ?? "";
}

export function callerLocation(): SourceLocation {
  const frames = (new Error().stack ?? "").split("\n").slice(1);
  for (const frame of frames) {
    const match = FRAME.exec(frame.trim());
    if (!match) continue;
    const file = match[1].startsWith("file://") ? decodeURIComponent(match[1].slice("file://".length)) : match[1];
    if (file.startsWith("node:") || isSdkFile(file)) continue;
    return { file: relativeToProject(file), line: Number(match[2]), col: Number(match[3]) };
  }
  return { file: "<unknown>", line: 0 };
}

function isSdkFile(file: string): boolean {
  const normal = file.replace(/\\/g, "/");
  return normal.includes("/src/sdk/") || normal.includes("/dist/sdk/") || normal.includes("/node_modules/moose-ts/");
}

export function relativeToProject(file: string): string {
  const normal = file.replace(/\\/g, "/");
  const root = projectRoot().replace(/\\/g, "/").replace(/\/$/, "");
  return root && normal.startsWith(`${root}/`) ? normal.slice(root.length + 1) : normal;
}

export function formatSource(source: SourceLocation): string {
  return `${source.file}:${source.line}${source.col ? `:${source.col}` : ""}`;
}
