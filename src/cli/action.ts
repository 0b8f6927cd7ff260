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

/** How long a server's process may take to end once its shutdown is over. */
const SHUTDOWN_GRACE_MS = 1000;

/**
 * For `moose dev` and `moose prod`, once their shutdown has closed everything they opened: the
 * process ends when nothing holds it any more, as every command's does, or after SHUTDOWN_GRACE_MS at
 * the latest. What can still hold it then is a client library's own retrying with nothing left to
 * do: kafkajs goes on connecting to a broker that is gone for up to ≈ 20 s, and has no way to be
 * told to stop.
 */
export function endAfterShutdown(): void {
  // process.exit() takes the status bin/moose.js sets from the command's.
  setTimeout(() => process.exit(), SHUTDOWN_GRACE_MS).unref();
}
