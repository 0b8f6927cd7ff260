/**
 * ClickHouse's `EXPLAIN AST` output as a tree. Each line is a node: one space of indent per level,
 * the node's kind, details, and `(children N)` when it has any. The declared counts are checked
 * against the lines, so output the reader cannot follow (an identifier holding a newline, a format
 * change in a future ClickHouse) is refused instead of misread.
 */

export interface AstNode {
  /** `AlterQuery`, `AlterCommand`, `Identifier`, `DropQuery`, … */
  kind: string;
  /** The rest of the line: `DROP_COLUMN` for an AlterCommand, the name for an Identifier. */
  detail: string;
  children: AstNode[];
}

const LINE = /^( *)(\S+)(?: (.*))?$/;
const CHILDREN = / \(children (\d+)\)$/;

interface ParsedLine {
  depth: number;
  kind: string;
  detail: string;
  declared: number;
}

/** The tree of one statement's EXPLAIN AST lines, or undefined when they do not form exactly one well-formed tree. */
export function readAst(lines: string[]): AstNode | undefined {
  const parsed: ParsedLine[] = [];
  for (const line of lines) {
    if (line === "") continue;
    const children = CHILDREN.exec(line);
    const match = LINE.exec(children ? line.slice(0, children.index) : line);
    if (!match) return undefined;
    parsed.push({ depth: match[1]!.length, kind: match[2]!, detail: match[3] ?? "", declared: Number(children?.[1] ?? 0) });
  }
  let position = 0;
  const read = (depth: number): AstNode | undefined => {
    const line = parsed[position];
    if (!line || line.depth !== depth) return undefined;
    position++;
    const node: AstNode = { kind: line.kind, detail: line.detail, children: [] };
    for (let index = 0; index < line.declared; index++) {
      const child = read(depth + 1);
      if (!child) return undefined;
      node.children.push(child);
    }
    return node;
  };
  const root = read(0);
  return root && position === parsed.length ? root : undefined;
}

/** The names of a node's direct `Identifier` children, in order (`db`, `table`). */
export function identifiersOf(node: AstNode): string[] {
  return node.children.filter((child) => child.kind === "Identifier").map((child) => child.detail);
}
