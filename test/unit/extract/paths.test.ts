/**
 * Which files are moose-ts's own (never type-checked for the user) and which declare the SDK, for
 * the names TypeScript gives (absolute, normalized) and for any other spelling of the same path.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isMooseSourceFile, isSdkFile, PACKAGE_ROOT } from "../../../src/extract/paths.js";

const sdkFile = path.join(PACKAGE_ROOT, "src", "sdk", "index.ts");

describe("isMooseSourceFile / isSdkFile", () => {
  it("recognise moose-ts's files however the path is spelled", () => {
    const spellings = [
      sdkFile,
      path.join(PACKAGE_ROOT, "src", "sdk", "..", "sdk", "index.ts").split(path.sep).join("/"),
      `${PACKAGE_ROOT}/src/./sdk/index.ts`,
      `${PACKAGE_ROOT}//src/sdk/index.ts`,
      path.relative(process.cwd(), sdkFile),
    ];
    for (const spelling of spellings) {
      expect(isMooseSourceFile(spelling), spelling).toBe(true);
      expect(isSdkFile(spelling), spelling).toBe(true);
    }
    expect(isMooseSourceFile(path.join(PACKAGE_ROOT, "dist", "types", "src", "sdk", "index.d.ts"))).toBe(true);
    expect(isMooseSourceFile(path.join(PACKAGE_ROOT, "src", "extract", "index.ts"))).toBe(true);
    expect(isSdkFile(path.join(PACKAGE_ROOT, "src", "extract", "index.ts"))).toBe(false);
  });

  it("leave the app's files alone, also ones whose path only starts like moose-ts's", () => {
    for (const fileName of ["/app/models.ts", `${PACKAGE_ROOT}/src-other/index.ts`, `${PACKAGE_ROOT}/src/../app/index.ts`, "app/index.ts"]) {
      expect(isMooseSourceFile(fileName), fileName).toBe(false);
      expect(isSdkFile(fileName), fileName).toBe(false);
    }
  });
});
