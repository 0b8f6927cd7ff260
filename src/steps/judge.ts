/**
 * Whether a step may run without --allow-data-loss, decided on typed values: the step's cause
 * (what the generator made it for) and what ClickHouse's own parser says the statement does.
 *
 * A SQL statement is read as its effects (one per ALTER command); an effect is harmless, or
 * harmful with a reason. A harmful effect is excused only where the cause proves it harmless:
 * dropping or swapping a rebuild's own copy (a reserved name), replacing or dropping a view the
 * plan manages, converting a column whose values the step's conversion check verifies first, or
 * a column/TTL change the diff itself judged not to lose data. Anything the reader does not know
 * is harmful (fail closed). A cause saying `data-loss` always needs consent, and so does any
 * statement that writes one of moose-ts's own `_moose…` tables (journal, state, lock).
 */
import { identifiersOf, type AstNode } from "./ast.js";
import { rebuildCopyName, RESERVED_PREFIX, type Step, type StepCause } from "./index.js";

/** One statement as ClickHouse's parser read it. */
export interface ParsedStatement {
  /** `formatQuerySingleLine` of the statement: ClickHouse's canonical text, comments gone. */
  formatted: string;
  /** `EXPLAIN AST` of the formatted statement. */
  ast: AstNode;
}

export type EffectKind =
  | "none"
  | "drop"
  | "replace"
  | "exchange"
  | "rename"
  | "drop-column"
  | "delete-rows"
  | "update-rows"
  | "drop-partition"
  | "modify-ttl"
  | "convert-column"
  | "modify-column"
  | "unknown";

export interface Effect {
  kind: EffectKind;
  /** The object acted on (table or view name, without database). */
  object?: string;
  /** For exchange: the other table; for column effects: the column. */
  other?: string;
  /** What it does, in words, when harmful. */
  reason?: string;
}

export type Verdict = { consent: false } | { consent: true; reasons: string[] };

/** ALTER commands that keep every stored value (indexes and projections can be rebuilt). */
const HARMLESS_ALTER = new Set([
  "ADD_COLUMN",
  "ADD_INDEX",
  "DROP_INDEX",
  "MATERIALIZE_INDEX",
  "ADD_PROJECTION",
  "DROP_PROJECTION",
  "MATERIALIZE_PROJECTION",
  "ADD_CONSTRAINT",
  "DROP_CONSTRAINT",
  "ADD_STATISTICS",
  "COMMENT_COLUMN",
  "MODIFY_COMMENT",
  "RENAME_COLUMN",
  "MODIFY_SETTING",
  "RESET_SETTING",
  "REMOVE_TTL",
  "MODIFY_ORDER_BY",
  "MATERIALIZE_COLUMN",
  "ATTACH_PARTITION",
  "FREEZE_PARTITION",
  "FREEZE_ALL",
]);

const HARMFUL_ALTER: Record<string, { kind: EffectKind; reason: string }> = {
  DROP_COLUMN: { kind: "drop-column", reason: "drops or clears a column" },
  DELETE: { kind: "delete-rows", reason: "deletes rows" },
  UPDATE: { kind: "update-rows", reason: "overwrites stored values" },
  DROP_PARTITION: { kind: "drop-partition", reason: "drops or detaches a partition" },
  DROP_DETACHED_PARTITION: { kind: "drop-partition", reason: "drops a detached partition" },
  MODIFY_TTL: { kind: "modify-ttl", reason: "sets a TTL, which deletes the rows it expires" },
  MATERIALIZE_TTL: { kind: "modify-ttl", reason: "applies the TTL now, deleting expired rows" },
};

/** Statements that only read or add. */
const HARMLESS_STATEMENT = new Set(["SelectWithUnionQuery", "SelectIntersectExceptQuery", "InsertQuery", "AttachQuery", "ShowTables", "DescribeQuery", "ExistsQuery"]);

function lastIdentifier(node: AstNode): string | undefined {
  return identifiersOf(node).at(-1);
}

function alterEffects(ast: AstNode, checkedColumn: { table: string; column: string } | undefined): Effect[] {
  const table = lastIdentifier(ast);
  const commands = ast.children.find((child) => child.kind === "ExpressionList")?.children ?? [];
  if (table === undefined || commands.length === 0) return [{ kind: "unknown", reason: "an ALTER the reader could not follow" }];
  return commands.map((command): Effect => {
    const type = command.detail.trim();
    if (command.kind !== "AlterCommand") return { kind: "unknown", object: table, reason: `an ALTER part it does not know (${command.kind})` };
    if (HARMLESS_ALTER.has(type)) return { kind: "none", object: table };
    // `UPDATE c = c`: every row keeps what it reads (rows that stored no value store their default).
    if (type === "UPDATE" && isIdentityUpdate(command)) return { kind: "none", object: table };
    const harmful = HARMFUL_ALTER[type];
    if (harmful) {
      const column = type === "DROP_COLUMN" ? identifiersOf(command)[0] : undefined;
      return { kind: harmful.kind, object: table, ...(column !== undefined ? { other: column } : {}), reason: harmful.reason };
    }
    if (type === "MODIFY_COLUMN") {
      const declaration = command.children.find((child) => child.kind === "ColumnDeclaration");
      const column = declaration?.detail.trim();
      if (!declaration || column === undefined) return { kind: "unknown", object: table, reason: "a MODIFY COLUMN the reader could not follow" };
      // `REMOVE DEFAULT` and the like: nothing stored changes.
      if (declaration.children.length === 0) return { kind: "none", object: table };
      if (declaration.children.some((child) => child.kind === "DataType")) {
        const verified = checkedColumn?.table === table && checkedColumn.column === column;
        if (!verified) return { kind: "convert-column", object: table, other: column, reason: `converts the stored values of ${column} without a conversion check` };
        // The check covers the conversion; a DEFAULT, CODEC or TTL beside the type is judged as below.
        if (declaration.children.length === 1) return { kind: "none", object: table };
      }
      // A DEFAULT, CODEC or COMMENT keeps values; a column TTL deletes them, and the parse looks the same.
      return { kind: "modify-column", object: table, other: column, reason: `changes column ${column} (a column TTL would clear values)` };
    }
    return { kind: "unknown", object: table, reason: `ALTER … ${type.replace(/_/g, " ")} is not known to keep data` };
  });
}

/** An UPDATE whose every assignment is a column set to itself. */
function isIdentityUpdate(command: AstNode): boolean {
  const assignments = command.children.find((child) => child.kind === "ExpressionList")?.children ?? [];
  return (
    assignments.length > 0 &&
    assignments.every(
      (assignment) =>
        assignment.kind === "Assignment" &&
        assignment.children.length === 1 &&
        assignment.children[0]!.kind === "Identifier" &&
        assignment.children[0]!.children.length === 0 &&
        assignment.children[0]!.detail.trim() === assignment.detail.trim(),
    )
  );
}

/** What a statement does, one effect per part (ALTER commands), harmful ones with a reason. */
export function statementEffects(parsed: ParsedStatement, checkedColumn?: { table: string; column: string }): Effect[] {
  const { ast, formatted } = parsed;
  const head = formatted.trimStart().toUpperCase();
  switch (ast.kind) {
    case "AlterQuery":
      return alterEffects(ast, checkedColumn);
    case "CreateQuery": {
      const object = lastIdentifier(ast);
      if (head.startsWith("CREATE OR REPLACE VIEW ")) return [{ kind: "replace", object, reason: `replaces view ${object}` }];
      // A dictionary holds a copy of its source, which keeps the rows.
      if (head.startsWith("CREATE OR REPLACE DICTIONARY ")) return [{ kind: "none", object }];
      if (head.startsWith("CREATE OR REPLACE ") || head.startsWith("REPLACE ")) return [{ kind: "unknown", object, reason: `replaces ${object} and everything stored in it` }];
      return [{ kind: "none", object }];
    }
    case "DropQuery": {
      const object = lastIdentifier(ast);
      if (head.startsWith("DROP VIEW ")) return [{ kind: "replace", object, reason: `drops view ${object}` }];
      if (head.startsWith("DROP TABLE ")) return [{ kind: "drop", object, reason: `drops table ${object} with its rows` }];
      if (head.startsWith("DROP DICTIONARY ")) return [{ kind: "none", object }];
      return [{ kind: "unknown", object, reason: `${head.split(" ").slice(0, 2).join(" ")} removes ${object}` }];
    }
    case "Rename": {
      const [first, second, ...rest] = identifiersOf(ast);
      if (head.startsWith("EXCHANGE TABLES ") && first !== undefined && second !== undefined && rest.length === 0) {
        return [{ kind: "exchange", object: first, other: second, reason: `swaps tables ${first} and ${second}` }];
      }
      return [{ kind: "rename", object: first, reason: "renames or swaps tables" }];
    }
    case "TruncateQuery":
      return [{ kind: "unknown", object: lastIdentifier(ast), reason: `truncates ${lastIdentifier(ast)}` }];
    case "DeleteQuery":
      return [{ kind: "delete-rows", object: lastIdentifier(ast), reason: "deletes rows" }];
    // Functions, row policies, roles and grants are definitions: creating, replacing or dropping one stores or deletes no rows.
    case "CreateSQLFunctionQuery":
    case "DropFunctionQuery":
    case "CreateRoleQuery":
    case "GrantQuery":
      return [{ kind: "none" }];
    case "CREATE":
    case "DROP":
      if (head.startsWith(`${ast.kind} ROW POLICY `)) return [{ kind: "none" }];
      return [{ kind: "unknown", reason: `${head.split(" ").slice(0, 2).join(" ")} is not known to keep data` }];
    case "SYSTEM":
      if (head.startsWith("SYSTEM RELOAD DICTIONARY ") || head === "SYSTEM RELOAD DICTIONARIES") return [{ kind: "none" }];
      return [{ kind: "unknown", reason: `${head.split(" ").slice(0, 2).join(" ")} is not known to keep data` }];
    default:
      if (HARMLESS_STATEMENT.has(ast.kind)) return [{ kind: "none", object: ast.kind === "InsertQuery" ? lastIdentifier(ast) : undefined }];
      return [{ kind: "unknown", reason: `${head.split(" ").slice(0, 2).join(" ") || ast.kind} is not known to keep data` }];
  }
}

const VIEW_OPERATIONS = new Set(["createView", "dropView", "replaceView", "createMaterializedView", "dropMaterializedView"]);
const COLUMN_OPERATIONS = new Set(["modifyColumn", "modifyTtl"]);

/** True when the step's cause proves a harmful-looking effect harmless. */
function excused(effect: Effect, cause: StepCause | undefined): boolean {
  if (!cause) return false;
  const copy = rebuildCopyName(cause.target);
  switch (effect.kind) {
    case "drop":
      return cause.operation === "recreateTable" && (cause.rebuild === "clear" || cause.rebuild === "drop-old") && effect.object === copy;
    case "exchange":
      return cause.operation === "recreateTable" && cause.rebuild === "exchange" && effect.object === cause.target && effect.other === copy;
    case "replace":
      return VIEW_OPERATIONS.has(cause.operation) && effect.object === cause.target;
    case "modify-column":
    case "modify-ttl":
      return COLUMN_OPERATIONS.has(cause.operation) && effect.object === cause.target && cause.risk !== "data-loss";
    default:
      return false;
  }
}

/**
 * Whether running the step needs --allow-data-loss, and why. `parsed` is the statement of a SQL
 * step as ClickHouse read it (required for SQL steps). A hand-written `run` step is judged
 * statement by statement as it runs (see the runner's guarded driver).
 */
export function judgeStep(step: Step, parsed?: ParsedStatement): Verdict {
  const reasons: string[] = [];
  if ("kafka" in step) {
    if ("deleteTopic" in step.kafka) reasons.push(`deletes topic ${step.kafka.deleteTopic.topic} with its messages`);
    if (step.cause?.risk === "data-loss" && reasons.length === 0) reasons.push(`${step.cause.operation} of ${step.cause.target} is a data-loss change`);
  } else if ("temporal" in step) {
    // A schedule holds no data: deleting one stops future runs, and runs it already started go on
    // to completion (no migration step terminates a running workflow; `moose workflow terminate` does,
    // on request). So no schedule action needs consent by itself; a data-loss cause still does.
    if (step.cause?.risk === "data-loss") reasons.push(`${step.cause.operation} of ${step.cause.target} is a data-loss change`);
  } else if ("sql" in step) {
    if (!parsed) throw new Error("judgeStep: a SQL step is judged on its parse");
    if (step.checkConversion?.using !== undefined) reasons.push(`replaces the values of ${step.checkConversion.column} with ${step.checkConversion.using}`);
    const check = step.checkConversion ? { table: step.checkConversion.table, column: step.checkConversion.column } : undefined;
    for (const effect of statementEffects(parsed, check)) {
      // The journal, state and lock say what is applied: a step that writes them rewrites history.
      if (effect.object?.toLowerCase().startsWith(RESERVED_PREFIX)) reasons.push(`changes ${effect.object}, one of moose-ts's own tables`);
      else if (effect.kind !== "none" && !excused(effect, step.cause)) reasons.push(effect.reason ?? effect.kind);
    }
    if (step.cause?.risk === "data-loss" && reasons.length === 0) reasons.push(`${step.cause.operation} of ${step.cause.target} is a data-loss change`);
  }
  return reasons.length > 0 ? { consent: true, reasons } : { consent: false };
}
