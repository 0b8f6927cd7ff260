/**
 * The project watcher on a real file system: a save that truncates before it writes is never
 * reported while the file is empty (an empty entry file is an app without tables), and a file
 * that stays empty is still reported; a save that chokidar's throttle swallows (within 50 ms of
 * the file's last event) is reported all the same.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EMPTY_FILE_SETTLE_MS, watchProject, type ProjectWatcher } from "../../../src/dev/watch.js";

const MODEL = 'export const users = new OlapTable<User>("Users");\n';

let dir: string;
let watcher: ProjectWatcher | undefined;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "moose-watch-"));
  writeFileSync(path.join(dir, "index.ts"), MODEL);
});

afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Watches `dir`, recording the file's content at the moment each change is reported. */
async function watchContents(emptyFileSettleMs?: number): Promise<string[]> {
  const seen: string[] = [];
  watcher = await watchProject(
    dir,
    (file) => seen.push(readFileSync(path.join(dir, file), "utf8")),
    (error) => {
      throw error;
    },
    emptyFileSettleMs,
  );
  return seen;
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("watchProject", () => {
  it("does not report a save while it is truncated, only once its content is written", async () => {
    const seen = await watchContents();
    const file = path.join(dir, "index.ts");
    for (let save = 0; save < 5; save++) {
      writeFileSync(file, ""); // the editor's truncate …
      await new Promise((resolve) => setTimeout(resolve, 30)); // … seen by the watcher before the write
      writeFileSync(file, `${MODEL}// save ${save}\n`);
      await until(() => seen.at(-1)?.includes(`save ${save}`) ?? false);
    }
    await new Promise((resolve) => setTimeout(resolve, EMPTY_FILE_SETTLE_MS * 2));
    expect(seen.length).toBeGreaterThanOrEqual(5);
    expect(seen.filter((content) => content === "")).toEqual([]);
  });

  it("reports a truncate and a write right after it as soon as the content is there, not after the settle time", async () => {
    // chokidar drops the write's event when it comes within 5 ms of the truncate's: the size is looked at again.
    const settleMs = 60_000;
    const seen = await watchContents(settleMs);
    const file = path.join(dir, "index.ts");
    for (let save = 0; save < 10; save++) {
      writeFileSync(file, "");
      writeFileSync(file, `${MODEL}// save ${save}\n`);
      await until(() => seen.at(-1)?.includes(`save ${save}`) ?? false, settleMs / 4);
    }
    expect(seen.filter((content) => content === "")).toEqual([]);
  });

  it("reports a second save that comes within chokidar's 50 ms throttle of the first", async () => {
    const seen = await watchContents();
    const file = path.join(dir, "index.ts");
    for (let save = 0; save < 5; save++) {
      writeFileSync(file, `${MODEL}// save ${save}, by the editor\n`);
      await new Promise((resolve) => setTimeout(resolve, 20)); // a formatter rewrites it
      writeFileSync(file, `${MODEL}// save ${save}, formatted\n`);
      await until(() => seen.at(-1)?.includes(`save ${save}, formatted`) ?? false);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  it("reports a deletion once (chokidar's unlink), not again from the second look", async () => {
    const seen: string[] = [];
    watcher = await watchProject(dir, (file) => seen.push(file), (error) => {
      throw error;
    });
    const file = path.join(dir, "index.ts");
    writeFileSync(file, `${MODEL}// edited\n`);
    await until(() => seen.length === 1);
    rmSync(file);
    await until(() => seen.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 400)); // past chokidar's unlink delay and the second look
    expect(seen).toEqual(["index.ts", "index.ts"]);
  });

  it("reports nothing after close, though a second look was pending", async () => {
    const seen: string[] = [];
    watcher = await watchProject(dir, (file) => seen.push(file), (error) => {
      throw error;
    }, 5_000);
    writeFileSync(path.join(dir, "index.ts"), ""); // an empty file: looked at again until it has content
    await new Promise((resolve) => setTimeout(resolve, 100));
    await watcher.close();
    watcher = undefined;
    writeFileSync(path.join(dir, "index.ts"), MODEL);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen).toEqual([]);
  });

  it("reports a file that stays empty after the settle time", async () => {
    const seen = await watchContents();
    writeFileSync(path.join(dir, "index.ts"), "");
    await until(() => seen.length > 0);
    expect(seen).toEqual([""]);
  });
});
