/** The reload queue: debounced, never two reloads at once, saves during a reload queue exactly one more. */
import { describe, expect, it } from "vitest";
import { createReloadQueue } from "../../../src/dev/queue.js";

const DEBOUNCE_MS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A reload that records how many run at once and can be held open by the test. */
function recorder() {
  let running = 0;
  const state = { runs: 0, maxConcurrent: 0, release: () => {} };
  const reload = async () => {
    running++;
    state.runs++;
    state.maxConcurrent = Math.max(state.maxConcurrent, running);
    await new Promise<void>((resolve) => (state.release = resolve));
    running--;
  };
  return { state, reload };
}

describe("createReloadQueue", () => {
  it("turns a burst of events into one reload", async () => {
    let runs = 0;
    const queue = createReloadQueue(async () => void runs++, DEBOUNCE_MS, (error) => { throw error; });
    for (let i = 0; i < 5; i++) queue.trigger();
    await queue.idle();
    expect(runs).toBe(1);
    await queue.close();
  });

  it("queues exactly one more reload for any number of saves during a running one, never two at once", async () => {
    const { state, reload } = recorder();
    const queue = createReloadQueue(reload, DEBOUNCE_MS, (error) => { throw error; });
    queue.trigger();
    await sleep(DEBOUNCE_MS * 3);
    expect(state.runs).toBe(1);
    for (let i = 0; i < 4; i++) {
      queue.trigger();
      await sleep(DEBOUNCE_MS * 2);
    }
    expect(state.runs).toBe(1);
    state.release();
    await sleep(DEBOUNCE_MS);
    expect(state.runs).toBe(2);
    state.release();
    await queue.idle();
    expect(state.runs).toBe(2);
    expect(state.maxConcurrent).toBe(1);
    await queue.close();
  });

  it("runNow skips the debounce; close cancels a scheduled reload and waits for the running one", async () => {
    const { state, reload } = recorder();
    const queue = createReloadQueue(reload, DEBOUNCE_MS, (error) => { throw error; });
    const first = queue.runNow();
    expect(state.runs).toBe(1);
    queue.trigger();
    const closed = queue.close();
    state.release();
    await Promise.all([first, closed]);
    await sleep(DEBOUNCE_MS * 3);
    expect(state.runs).toBe(1);
  });

  it("hands what a reload throws to onError and keeps working", async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const queue = createReloadQueue(
      async () => {
        runs++;
        if (runs === 1) throw new Error("boom");
      },
      DEBOUNCE_MS,
      (error) => errors.push(error),
    );
    await queue.runNow();
    queue.trigger();
    await queue.idle();
    expect(runs).toBe(2);
    expect(errors.map((error) => (error as Error).message)).toEqual(["boom"]);
    await queue.close();
  });
});
