/**
 * The build cache (`.moose/cache/`): an extraction's result kept under the hash of everything it
 * was made from, as tsc keeps `.tsbuildinfo`, so `moose plan`, `migrate status`, `ls` and `build`
 * on unchanged code skip the TypeScript program (or the Python interpreter) and the SQL checks.
 *
 * An entry is named by the hash of what is known before building: moose-ts itself, which
 * TypeScript or Python runs, the lockfiles and package manifests from the project up to the
 * filesystem root, source_dir, language and the main file. Inside it are the files the build
 * read (TypeScript: every file of the program but the compiler's own lib files, and the tsconfig
 * chain; Python: every .py file of the project), each with the sha256 of its content, the listing
 * of each folder holding one of the app's files (a new code file or folder there could change what
 * an import resolves to), and the result. A lookup hashes them again: any difference, or an entry that is
 * damaged, is a miss, and the build runs and replaces the entry. Content decides, not times.
 *
 * Not part of the key: files the app's code reads itself at load time and environment variables
 * it reads, but for the project's env files moose loads (their content is in the key).
 * `MOOSE_BUILD_CACHE=off` turns the cache off for such an app.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { mooseTsPackage } from "../cli/package-info.js";
import { envFileNames } from "../config/env-files.js";
import { projectLayout } from "../config/project-layout.js";
import type { Manifest } from "../manifest/types.js";
import type { Notice } from "./notices.js";
import type { ModelLanguage } from "./python/language.js";
import { projectTypeScript } from "./typescript-project.js";
import { writeFileAtomicSync } from "../files.js";

/** Bumped whenever what an entry holds, or what a build reads, changes shape. */
const FORMAT = 1;
const HEADER = "moose-ts build cache";
/** Entries kept per project; the oldest go first. */
const MAX_ENTRIES = 8;
export const BUILD_CACHE_ENV = "MOOSE_BUILD_CACHE";

/** What a build gives that commands need: the checked manifest (before `[features]` apply) and the notices it printed. */
export interface CachedBuild {
  manifest: Manifest;
  notices: Notice[];
  /** A Python app's WebApps, which are not in the manifest (`moose dev` serves them from its Python worker). */
  pythonWebApps?: PythonWebApp[];
}

/** A Python app's WebApp as the server needs to know it: where it is mounted. */
export interface PythonWebApp {
  name: string;
  mountPath: string;
}

interface Entry {
  format: number;
  key: string;
  /** Absolute path → sha256 of the content, null when the file did not exist. */
  files: Record<string, string | null>;
  /** Absolute folder path → sha256 of its sorted listing. */
  folders: Record<string, string | null>;
  /** Files the build wrote that a hit reuses (`moose dev`'s emitted modules) → sha256. */
  outputs: Record<string, string | null>;
  build: CachedBuild;
}

/**
 * A file the build read, with the text it read when known (null: it did not exist), since a
 * long-lived build (`moose dev`) is stored when it closes, after the file may have changed.
 */
export interface BuildInput {
  file: string;
  text?: string | null;
}

export interface BuildCacheInputs {
  projectDir: string;
  language: ModelLanguage;
  /** The --main option as given (undefined: the default main file). */
  mainFile?: string;
  /** Python: the interpreter that runs the app. */
  python?: string;
  /** What kind of build is kept: `moose build`'s (the default), or `moose dev`'s emitted modules. */
  mode?: "build" | "dev";
}

export class BuildCache {
  private constructor(
    private readonly projectDir: string,
    private readonly language: ModelLanguage,
    private readonly key: string,
  ) {}

  /** The cache for a project, or undefined when MOOSE_BUILD_CACHE=off. */
  static open(inputs: BuildCacheInputs): BuildCache | undefined {
    if (process.env[BUILD_CACHE_ENV] === "off") return undefined;
    const projectDir = path.resolve(inputs.projectDir);
    return new BuildCache(projectDir, inputs.language, buildKey({ ...inputs, projectDir }));
  }

  get file(): string {
    return path.join(cacheDir(this.projectDir), `build-${this.key.slice(0, 32)}.json`);
  }

  /** The stored build when every input is as it was; undefined on any difference or damage. */
  lookup(): CachedBuild | undefined {
    const entry = readEntry(this.file);
    if (!entry || entry.key !== this.key) return undefined;
    if (this.language === "python" && !sameKeys(entry.files, pythonFiles(this.projectDir))) return undefined;
    for (const [file, hash] of Object.entries(entry.files)) if (fileHash(file) !== hash) return undefined;
    for (const [folder, hash] of Object.entries(entry.folders)) if (folderHash(folder) !== hash) return undefined;
    for (const [file, hash] of Object.entries(entry.outputs)) if (fileHash(file) !== hash) return undefined;
    return entry.build;
  }

  /** A Python build's inputs, read before it runs: every .py file of the project as it is now. */
  pythonSources(): BuildInput[] {
    return pythonFiles(this.projectDir).map((file) => ({ file, text: readText(file) }));
  }

  /**
   * Records a build, the files it read (TypeScript: from its program; Python: pythonSources() from
   * before it ran) and the files it wrote that a hit reuses. Nothing is recorded when an input
   * changed while the build ran (the result may not match either version). A cache that cannot be
   * written only costs the next command the build.
   */
  store(build: CachedBuild, inputs: readonly BuildInput[], outputs: readonly string[] = []): void {
    const entry: Entry = { format: FORMAT, key: this.key, files: {}, folders: {}, outputs: {}, build };
    for (const { file, text } of inputs) {
      const now = fileHash(file);
      if (text !== undefined && !readAs(now, text)) return;
      entry.files[file] = now;
    }
    for (const file of outputs) entry.outputs[file] = fileHash(file);
    for (const { file } of inputs) {
      if (isDependencyFile(file)) continue;
      const folder = path.dirname(file);
      entry.folders[folder] ??= folderHash(folder);
    }
    const body = JSON.stringify(entry);
    try {
      writeFileAtomicSync(this.file, `${HEADER} ${sha256(body)}\n${body}`);
      pruneEntries(cacheDir(this.projectDir));
    } catch {
      // Only a speed-up: the next command extracts again.
    }
  }
}

export function cacheDir(projectDir: string): string {
  return path.join(projectDir, ".moose", "cache");
}

/** The entry at `file` when its checksum and format hold; anything else is treated as absent. */
function readEntry(file: string): Entry | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const newline = text.indexOf("\n");
  const header = text.slice(0, newline);
  const body = text.slice(newline + 1);
  if (newline < 0 || header !== `${HEADER} ${sha256(body)}`) return undefined;
  try {
    const entry = JSON.parse(body) as Entry;
    return entry.format === FORMAT ? entry : undefined;
  } catch {
    return undefined;
  }
}

function buildKey(inputs: BuildCacheInputs): string {
  const { projectDir } = inputs;
  const layout = projectLayout(projectDir);
  const lines = [
    `format ${FORMAT}`,
    `moose-ts ${mooseTsPackage().version} ${toolFingerprint()}`,
    `language ${inputs.language}`,
    `main ${inputs.mainFile ?? ""}`,
    `mode ${inputs.mode ?? "build"}`,
    `source_dir ${layout.sourceDir}`,
    ...dependencyManifests(projectDir).map((file) => `file ${file} ${fileHash(file)}`),
    // The env files moose loads before the app runs (src/config/env-files.ts): an app reading their variables.
    ...ENV_FILES.map((name) => path.join(projectDir, name)).filter((file) => existsSync(file)).map((file) => `env-file ${file} ${fileHash(file)}`),
  ];
  if (inputs.language === "typescript") {
    const typescript = projectTypeScript();
    lines.push(`typescript ${typescript.file} ${typescript.version}`);
  } else {
    lines.push(...pythonKey(projectDir, inputs.python ?? "python3"));
  }
  return sha256(lines.join("\n"));
}

const ENV_FILES = [...new Set([...envFileNames("dev"), ...envFileNames("prod")])];

/** Package manifests and lockfiles (npm's hidden one included) from the project up to the filesystem root. */
const DEPENDENCY_MANIFESTS = [
  "package.json",
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "bun.lock",
  "bun.lockb",
  // What npm, pnpm and yarn write into node_modules on every install.
  path.join("node_modules", ".package-lock.json"),
  path.join("node_modules", ".modules.yaml"),
  path.join("node_modules", ".yarn-state.yml"),
  path.join("node_modules", ".yarn-integrity"),
  // Python's
  "pyproject.toml",
  "requirements.txt",
  "uv.lock",
  "poetry.lock",
  "Pipfile.lock",
];

export function dependencyManifests(projectDir: string): string[] {
  const files: string[] = [];
  for (let folder = projectDir; ; folder = path.dirname(folder)) {
    for (const name of DEPENDENCY_MANIFESTS) {
      const file = path.join(folder, name);
      if (existsSync(file)) files.push(file);
    }
    if (path.dirname(folder) === folder) return files;
  }
}

/**
 * The interpreter as a file (its real path and size), and for a virtualenv its pyvenv.cfg and the
 * listing of site-packages, whose `<name>-<version>.dist-info` folders name every installed version.
 */
function pythonKey(projectDir: string, python: string): string[] {
  const command = path.isAbsolute(python) || python.includes(path.sep) ? path.resolve(projectDir, python) : onPath(python);
  if (!command) return [`python ${python} not found`];
  const lines = [`python ${command} ${statLine(command)}`, `env PYTHONPATH ${process.env.PYTHONPATH ?? ""}`];
  const venv = path.dirname(path.dirname(command));
  const config = path.join(venv, "pyvenv.cfg");
  if (existsSync(config)) {
    lines.push(`file ${config} ${fileHash(config)}`);
    for (const version of safeReaddir(path.join(venv, "lib"))) {
      const sitePackages = path.join(venv, "lib", version, "site-packages");
      lines.push(`folder ${sitePackages} ${folderHash(sitePackages)}`);
    }
  }
  return lines;
}

function onPath(command: string): string | undefined {
  for (const folder of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(folder, command);
    if (folder !== "" && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function statLine(file: string): string {
  try {
    const real = realpathSync(file);
    const { size, mtimeMs } = statSync(real);
    return `${real} ${size} ${mtimeMs}`;
  } catch {
    return "missing";
  }
}

/** Folders never searched for a Python project's own .py files. */
const SKIPPED_FOLDERS = new Set(["node_modules", "__pycache__", "venv", "site-packages"]);

/** Every .py file of a Python project (outside virtualenvs, hidden folders and node_modules). */
function pythonFiles(projectDir: string): string[] {
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!entry.name.startsWith(".") && !SKIPPED_FOLDERS.has(entry.name)) walk(path.join(folder, entry.name));
      } else if (entry.name.endsWith(".py")) {
        files.push(path.join(folder, entry.name));
      }
    }
  };
  walk(projectDir);
  return files.sort();
}

/**
 * Which moose-ts is running: its version, and the sizes and times of the files it runs from
 * (dist/ when built, src/ under a test runner, else the bundle this module is in) and of its
 * Python SDK, so a rebuilt moose-ts of the same version does not reuse what an older one extracted.
 */
let fingerprint: string | undefined;
function toolFingerprint(): string {
  if (fingerprint !== undefined) return fingerprint;
  const { root } = mooseTsPackage();
  const self = fileURLToPath(import.meta.url);
  const [top = ""] = path.relative(root, self).split(path.sep);
  const code = top === "dist" || top === "src" ? treeStamp(path.join(root, top), /\.map$|^types$/) : statLine(self);
  fingerprint = sha256(`${code}\n${treeStamp(path.join(root, "python"), /^__pycache__$/)}`);
  return fingerprint;
}

/** The paths, sizes and times of every file under a folder, but for entries named like `skip`. */
function treeStamp(folder: string, skip: RegExp): string {
  const lines: string[] = [];
  const walk = (current: string) => {
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const file = path.join(current, entry.name);
      if (skip.test(entry.name)) continue;
      if (entry.isDirectory()) walk(file);
      else lines.push(`${file} ${statLine(file)}`);
    }
  };
  walk(folder);
  return sha256(lines.join("\n"));
}

function isDependencyFile(file: string): boolean {
  return file.split(/[\\/]/).includes("node_modules");
}

/** Is the file whose content hashes to `hash` the text a build read? (TypeScript drops a byte order mark.) */
function readAs(hash: string | null, text: string | null): boolean {
  if (text === null || hash === null) return hash === text;
  return hash === sha256(text) || hash === sha256(`\uFEFF${text}`);
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

function fileHash(file: string): string | null {
  try {
    return sha256(readFileSync(file));
  } catch {
    return null;
  }
}

/** What an import could resolve to in a folder: its subfolders and code files (not dot-entries such as .moose). */
const RESOLVABLE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|json|py)$/;

function folderHash(folder: string): string | null {
  try {
    const names = readdirSync(folder, { withFileTypes: true })
      .filter((entry) => !entry.name.startsWith(".") && (entry.isDirectory() || RESOLVABLE.test(entry.name)))
      .map((entry) => entry.name);
    return sha256(names.sort().join("\0"));
  } catch {
    return null;
  }
}

function safeReaddir(folder: string): string[] {
  try {
    return readdirSync(folder).sort();
  } catch {
    return [];
  }
}

function sameKeys(stored: Record<string, unknown>, files: string[]): boolean {
  const keys = Object.keys(stored);
  return keys.length === files.length && files.every((file) => file in stored);
}

function pruneEntries(folder: string): void {
  const entries = readdirSync(folder)
    .filter((name) => name.startsWith("build-") && name.endsWith(".json"))
    .map((name) => ({ file: path.join(folder, name), mtime: statSync(path.join(folder, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const stale of entries.slice(MAX_ENTRIES)) rmSync(stale.file, { force: true });
}

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
