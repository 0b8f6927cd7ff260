/**
 * Renders a migration file from migrations-template/migration.ts.hbs: steps become TypeScript
 * object literals a reviewer can read and edit, SQL in template literals exactly as it runs.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Operation } from "../diff/operations.js";
import { dataEffect } from "./effects.js";
import type { Step } from "../steps/index.js";

export const TEMPLATE_FILE = "migration.ts.hbs";

/** migrations-template/ beside src/ or dist/ (the package ships both). */
export function templateDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, "migrations-template");
    if (existsSync(path.join(candidate, TEMPLATE_FILE))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`migrations-template/${TEMPLATE_FILE} not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

const STEP_INDENT = "    ";

/** A template literal holding `text` verbatim. */
export function templateLiteral(text: string): string {
  return "`" + text.replace(/\\/g, "\\\\").replace(/`/g, "\\`").replace(/\$\{/g, "\\${") + "`";
}

/** A JSON value as a TypeScript literal: unquoted keys where they are identifiers, trailing commas. */
function literal(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((item) => `${indent}  ${literal(item, `${indent}  `)},`).join("\n")}\n${indent}]`;
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    const key = (name: string) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name));
    return `{\n${entries.map(([name, item]) => `${indent}  ${key(name)}: ${literal(item, `${indent}  `)},`).join("\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** A flat object on one line: `{ operation: "dropTable", target: "Users", risk: "data-loss" }`. */
function inlineLiteral(value: object): string {
  const item = (entry: unknown): string => (entry !== null && typeof entry === "object" && !Array.isArray(entry) ? inlineLiteral(entry) : JSON.stringify(entry));
  return `{ ${Object.entries(value).map(([name, entry]) => `${name}: ${item(entry)}`).join(", ")} }`;
}

/** One step as a TS object literal, indented for the `up`/`down` arrays. */
export function renderStep(step: Step): string {
  const inner = `${STEP_INDENT}  `;
  const fields: string[] = [];
  if ("sql" in step) {
    if (step.summary !== undefined) fields.push(`summary: ${JSON.stringify(step.summary)}`);
    if (step.cause !== undefined) fields.push(`cause: ${inlineLiteral(step.cause)}`);
    fields.push(`sql: ${templateLiteral(step.sql)}`);
    if (step.checkConversion !== undefined) fields.push(`checkConversion: ${literal(step.checkConversion, inner)}`);
  } else if ("kafka" in step) {
    if (step.summary !== undefined) fields.push(`summary: ${JSON.stringify(step.summary)}`);
    if (step.cause !== undefined) fields.push(`cause: ${inlineLiteral(step.cause)}`);
    fields.push(`kafka: ${literal(step.kafka, inner)}`);
  } else if ("temporal" in step) {
    if (step.summary !== undefined) fields.push(`summary: ${JSON.stringify(step.summary)}`);
    if (step.cause !== undefined) fields.push(`cause: ${inlineLiteral(step.cause)}`);
    fields.push(`temporal: ${literal(step.temporal, inner)}`);
  } else if ("note" in step) {
    fields.push(`note: ${JSON.stringify(step.note)}`);
  } else {
    throw new Error("generated migrations contain no `run` steps");
  }
  return `${STEP_INDENT}{\n${fields.map((field) => `${inner}${field},`).join("\n")}\n${STEP_INDENT}},`;
}

export interface MigrationFileModel {
  id: string;
  createdAt: Date;
  from: string;
  to: string;
  operations: Operation[];
  up: Step[];
  down: Step[];
  irreversible: string[];
}

let compiled: HandlebarsTemplateDelegate | undefined;

export async function renderMigrationFile(model: MigrationFileModel): Promise<string> {
  if (!compiled) {
    // Loaded here, not with this module: `moose dev` imports it on every start and renders a draft only after a change.
    const { default: Handlebars } = await import("handlebars");
    compiled = Handlebars.compile(await readFile(path.join(templateDir(), TEMPLATE_FILE), "utf8"), { noEscape: true });
  }
  return compiled({
    id: model.id,
    createdAt: model.createdAt.toISOString(),
    from: model.from,
    to: model.to,
    fromShort: model.from.slice(0, 12),
    toShort: model.to.slice(0, 12),
    changes: model.operations.map((op, index) => ({ number: index + 1, risk: op.risk, summary: oneLine(op.summary), effect: oneLine(dataEffect(op)) })),
    irreversible: model.irreversible.map(oneLine),
    up: model.up.map(renderStep),
    down: model.down.map(renderStep),
  });
}

/** Header lines live in a block comment: no newlines, no comment terminator. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").replace(/\*\//g, "* /");
}
