/** A duration as moose-ts prints it in step lines and log lines: `8.4 ms`, `120 ms`, `1.25 s`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
