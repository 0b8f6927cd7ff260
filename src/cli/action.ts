/**
 * Commands return their exit status instead of calling process.exit():
 * `.action(action(async (opts) => { …; return ExitCode.ok; }))`.
 */
let lastStatus = 0;

export function action<A extends unknown[]>(handler: (...args: A) => Promise<number | void>) {
  return async (...args: A): Promise<void> => {
    lastStatus = (await handler(...args)) ?? 0;
  };
}

export function takeStatus(): number {
  const status = lastStatus;
  lastStatus = 0;
  return status;
}
