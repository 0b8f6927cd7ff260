/**
 * `moose query --format-query <language>`: a SQL statement as a string literal to paste into the
 * app's code, as MooseStack's flag prints it (a TypeScript template literal, a Python raw
 * triple-quoted string when the statement allows one), escaped so that the literal's value is the
 * statement (trimmed, between line breaks), character for character.
 */
import { ExitCode, MooseError } from "../errors.js";

export type CodeLanguage = "typescript" | "python";

const LANGUAGES: Record<string, CodeLanguage> = { typescript: "typescript", ts: "typescript", python: "python", py: "python" };

export function parseCodeLanguage(text: string): CodeLanguage {
  const language = LANGUAGES[text.toLowerCase()];
  if (language === undefined) {
    throw new MooseError("USAGE", `--format-query takes python (py) or typescript (ts), not ${JSON.stringify(text)}`, { exitCode: ExitCode.usage });
  }
  return language;
}

/** A carriage return or a NUL as an escape: source files turn a bare CR into a line feed, and Python refuses a NUL. */
function escapeControls(text: string): string {
  return text.replace(/\r/g, "\\r").replace(/\0/g, "\\x00");
}

export function codeLiteral(sql: string, language: CodeLanguage): string {
  const text = sql.trim();
  if (language === "typescript") return `\`\n${escapeControls(text.replace(/\\/g, "\\\\").replace(/`/g, "\\`").replace(/\$\{/g, "\\${"))}\n\``;
  // A raw string keeps backslashes (REGEXP patterns) as written; it cannot hold its own quotes, nor an escape.
  if (!/[\r\0]/.test(text)) {
    if (!text.includes('"""')) return `r"""\n${text}\n"""`;
    if (!text.includes("'''")) return `r'''\n${text}\n'''`;
  }
  return `"""\n${escapeControls(text.replace(/\\/g, "\\\\").replace(/"/g, '\\"'))}\n"""`;
}
