import { describe, expect, it } from "vitest";
import { compareSum, computeSum, formatSum, parseSum } from "../../../src/migrations/sum.js";

const files = [
  { fileName: "20260101T000000Z_a.ts", content: "a" },
  { fileName: "20260102T000000Z_b.ts", content: "b" },
  { fileName: "20260103T000000Z_c.ts", content: "c" },
];

describe("moose.sum", () => {
  it("round-trips through its text form and agrees with itself", () => {
    const sum = computeSum(files);
    const text = formatSum(sum);
    expect(text.split("\n")[0]).toBe(sum.total);
    expect(parseSum(text).lines).toEqual(sum.lines);
    expect(compareSum(text, sum)).toBeUndefined();
  });

  it("is a running hash: editing one file changes its line and every later line, not earlier ones", () => {
    const before = computeSum(files);
    const after = computeSum([files[0]!, { ...files[1]!, content: "b edited" }, files[2]!]);
    expect(after.lines[0]!.hash).toBe(before.lines[0]!.hash);
    expect(after.lines[1]!.hash).not.toBe(before.lines[1]!.hash);
    expect(after.lines[2]!.hash).not.toBe(before.lines[2]!.hash);
    expect(after.total).not.toBe(before.total);
    expect(compareSum(formatSum(before), after)).toEqual({ kind: "changed", fileName: "20260102T000000Z_b.ts" });
  });

  it("reports a file that is not summed, and a summed file that is gone", () => {
    const recorded = formatSum(computeSum(files.slice(0, 2)));
    expect(compareSum(recorded, computeSum(files))).toEqual({ kind: "unsummed", fileName: "20260103T000000Z_c.ts" });
    expect(compareSum(formatSum(computeSum(files)), computeSum(files.slice(0, 2)))).toEqual({ kind: "missing", fileName: "20260103T000000Z_c.ts" });
    expect(compareSum(formatSum(computeSum(files)), computeSum([files[0]!, files[2]!]))).toEqual({ kind: "missing", fileName: "20260102T000000Z_b.ts" });
  });

  it("treats a git conflict in the file as corrupt", () => {
    const text = `<<<<<<< HEAD\n${formatSum(computeSum(files))}=======\n>>>>>>> other\n`;
    expect(compareSum(text, computeSum(files))?.kind).toBe("corrupt");
  });

  it("detects a reordered directory even when every file is unchanged", () => {
    const swapped = computeSum([files[0]!, { ...files[2]!, fileName: files[1]!.fileName }, { ...files[1]!, fileName: files[2]!.fileName }]);
    expect(compareSum(formatSum(computeSum(files)), swapped)).toEqual({ kind: "changed", fileName: "20260102T000000Z_b.ts" });
  });
});
