import { describe, expect, it } from "vitest";
import { readAst } from "../../../src/steps/ast.js";
import { stepKind, stepSummary } from "../../../src/steps/index.js";
import { judgeStep, statementEffects } from "../../../src/steps/judge.js";

/** An EXPLAIN AST listing as ClickHouse prints it (one space of indent per level). */
function parsed(formatted: string, explain: string) {
  const ast = readAst(explain.trim().split("\n"));
  if (!ast) throw new Error("unreadable AST fixture");
  return { formatted, ast };
}

const DROP_COPY = parsed("DROP TABLE IF EXISTS Users__moose_new", "DropQuery  Users__moose_new (children 1)\n Identifier Users__moose_new");
const DROP_USERS = parsed("DROP TABLE IF EXISTS Users", "DropQuery  Users (children 1)\n Identifier Users");
const ADD_AND_DROP = parsed(
  "ALTER TABLE t (ADD COLUMN z Int8), (DROP COLUMN v)",
  `AlterQuery  t (children 2)
 ExpressionList (children 2)
  AlterCommand ADD_COLUMN (children 1)
   ColumnDeclaration z (children 1)
    DataType Int8
  AlterCommand DROP_COLUMN (children 1)
   Identifier v
 Identifier t`,
);
const MODIFY_TYPE = parsed(
  "ALTER TABLE Users (MODIFY COLUMN IF EXISTS `age` Int32)",
  `AlterQuery  Users (children 2)
 ExpressionList (children 1)
  AlterCommand MODIFY_COLUMN (children 1)
   ColumnDeclaration age (children 1)
    DataType Int32
 Identifier Users`,
);

describe("reading EXPLAIN AST", () => {
  it("builds the tree the declared child counts describe", () => {
    expect(ADD_AND_DROP.ast.children[0]!.children.map((command) => command.detail)).toEqual(["ADD_COLUMN", "DROP_COLUMN"]);
  });

  it("refuses listings whose lines do not match their declared children (an identifier with a line break)", () => {
    expect(readAst(["Rename (children 2)", " Identifier a", " Identifier b", " c"])).toBeUndefined();
    expect(readAst(["DropQuery  t (children 2)", " Identifier t"])).toBeUndefined();
  });
});

describe("judging steps", () => {
  it("needs consent for every data-losing part of a statement, whatever else it does", () => {
    expect(judgeStep({ sql: "…" }, ADD_AND_DROP)).toEqual({ consent: true, reasons: ["drops or clears a column"] });
    expect(judgeStep({ sql: "…" }, DROP_USERS)).toEqual({ consent: true, reasons: ["drops table Users with its rows"] });
  });

  it("excuses dropping a rebuild's own copy only when the cause is that rebuild", () => {
    const cause = { operation: "recreateTable", target: "Users", risk: "rewrite", rebuild: "drop-old" } as const;
    expect(judgeStep({ sql: "…", cause }, DROP_COPY)).toEqual({ consent: false });
    // The same cause does not excuse dropping the table itself, nor another table's copy.
    expect(judgeStep({ sql: "…", cause }, DROP_USERS).consent).toBe(true);
    expect(judgeStep({ sql: "…", cause: { ...cause, target: "Other" } }, DROP_COPY).consent).toBe(true);
    // A cause that only claims `safe` excuses nothing.
    expect(judgeStep({ sql: "…", cause: { operation: "createTable", target: "Users", risk: "safe" } }, DROP_USERS).consent).toBe(true);
  });

  it("lets a type conversion run when its conversion check covers that very column", () => {
    expect(judgeStep({ sql: "…" }, MODIFY_TYPE).consent).toBe(true);
    expect(judgeStep({ sql: "…", checkConversion: { table: "Users", column: "age", toType: "Int32" } }, MODIFY_TYPE)).toEqual({ consent: false });
    expect(judgeStep({ sql: "…", checkConversion: { table: "Users", column: "other", toType: "Int32" } }, MODIFY_TYPE).consent).toBe(true);
  });

  it("needs consent for any write to moose-ts's own tables, even a harmless-looking one", () => {
    const insert = parsed("INSERT INTO _moose_migrations (id) VALUES", "InsertQuery   (children 1)\n Identifier _moose_migrations");
    expect(judgeStep({ sql: "…" }, insert)).toEqual({ consent: true, reasons: ["changes _moose_migrations, one of moose-ts's own tables"] });
  });

  it("fails closed on statements it does not know", () => {
    const optimize = parsed("OPTIMIZE TABLE t FINAL DEDUPLICATE", "OptimizeQuery  t_final_deduplicate (children 1)\n Identifier t");
    expect(statementEffects(optimize)[0]!.kind).toBe("unknown");
    expect(judgeStep({ sql: "…" }, optimize).consent).toBe(true);
  });

  it("needs consent for a data-loss cause even when the statement looks harmless, and for topic deletion", () => {
    const add = parsed("ALTER TABLE t (ADD COLUMN z Int8)", "AlterQuery  t (children 2)\n ExpressionList (children 1)\n  AlterCommand ADD_COLUMN (children 1)\n   ColumnDeclaration z (children 1)\n    DataType Int8\n Identifier t");
    expect(judgeStep({ sql: "…", cause: { operation: "dropColumn", target: "t", risk: "data-loss" } }, add).consent).toBe(true);
    expect(judgeStep({ kafka: { deleteTopic: { topic: "t" } } }).consent).toBe(true);
    expect(judgeStep({ note: "DROP TABLE x" })).toEqual({ consent: false });
  });

  it("names and summarises each kind", () => {
    expect(stepKind({ run: async () => {} })).toBe("run");
    expect(stepSummary({ sql: "SELECT 1\nFROM x" })).toBe("SELECT 1");
    expect(stepSummary({ kafka: { addPartitions: { topic: "t", count: 3 } } })).toBe("kafka addPartitions");
  });
});
