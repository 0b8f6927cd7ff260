/**
 * Turns a burst of file events into serialized reloads: events are debounced, a reload never runs
 * beside another, and any number of saves during a running reload queue exactly one more.
 */
export interface ReloadQueue {
  /** A file changed: reload after the debounce (or after the running reload). */
  trigger(): void;
  /** Reload now (no debounce), e.g. the first build at start-up; resolves when it has run. */
  runNow(): Promise<void>;
  /** Resolves when no reload is running or scheduled. */
  idle(): Promise<void>;
  /** Cancels a scheduled reload and waits for a running one to finish. */
  close(): Promise<void>;
}

/** `onError` receives what a reload threw (reloads report their own failures; this is for bugs). */
export function createReloadQueue(reload: () => Promise<void>, debounceMs: number, onError: (error: unknown) => void): ReloadQueue {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let pending = false;
  let closed = false;
  let idleWaiters: Array<() => void> = [];

  const settle = () => {
    if (running || timer || pending) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const start = (): Promise<void> => {
    running = (async () => {
      try {
        await reload();
      } catch (error) {
        onError(error);
      } finally {
        running = undefined;
        if (pending && !closed) {
          pending = false;
          void start();
        } else {
          pending = false;
          settle();
        }
      }
    })();
    return running;
  };

  const fire = () => {
    timer = undefined;
    if (closed) return settle();
    if (running) pending = true;
    else void start();
  };

  return {
    trigger() {
      if (closed) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(fire, debounceMs);
    },
    async runNow() {
      if (closed) return;
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      if (running) {
        pending = true;
        return this.idle();
      }
      return start();
    },
    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settle();
      });
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      pending = false;
      await running;
      settle();
    },
  };
}
