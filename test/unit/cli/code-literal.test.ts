/** `moose query --format-query`: a statement as a code literal whose value is the statement, exactly. */
import { describe, expect, it } from "vitest";
import { codeLiteral, parseCodeLanguage } from "../../../src/cli/code-literal.js";

const TRICKY = "SELECT `id`, '${x}' AS t FROM logs WHERE message REGEXP '\\\\d{4}\\\\s+'";

describe("codeLiteral", () => {
  it("writes a TypeScript template literal, escaping what a template literal would read (backslash, backtick, ${)", () => {
    expect(codeLiteral("SELECT 1", "typescript")).toBe("`\nSELECT 1\n`");
    const literal = codeLiteral(TRICKY, "typescript");
    expect(new Function(`return ${literal};`)()).toBe(`\n${TRICKY}\n`);
  });

  it("writes a Python raw triple-quoted string, switching quotes or escaping when the statement holds them", () => {
    expect(codeLiteral("  SELECT 1\n", "python")).toBe('r"""\nSELECT 1\n"""');
    expect(codeLiteral(TRICKY, "python")).toBe(`r"""\n${TRICKY}\n"""`);
    expect(codeLiteral(`SELECT '"""' AS q`, "python")).toBe(`r'''\nSELECT '"""' AS q\n'''`);
    expect(codeLiteral(`SELECT '"""', '\\'''' AS q`, "python")).toBe(`"""\nSELECT '\\"\\"\\"', '\\\\'''' AS q\n"""`);
  });

  it("writes a carriage return or a NUL as an escape (a source file would turn a bare CR into a line feed)", () => {
    const text = "SELECT 'a\r\nb', '\0' AS z";
    expect(new Function(`return ${codeLiteral(text, "typescript")};`)()).toBe(`\n${text}\n`);
    expect(codeLiteral(text, "python")).toBe(`"""\nSELECT 'a\\r\nb', '\\x00' AS z\n"""`);
  });

  it("takes MooseStack's language names and refuses others (usage)", () => {
    expect(["py", "python", "TS", "typescript"].map(parseCodeLanguage)).toEqual(["python", "python", "typescript", "typescript"]);
    expect(() => parseCodeLanguage("java")).toThrow(/python \(py\) or typescript \(ts\)/);
  });
});
