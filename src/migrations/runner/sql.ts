/**
 * Literals for the bookkeeping statements (lock events, journal reads). Values are inlined rather
 * than bound as `{name:Type}` parameters because query parameters do not exist on old servers
 * (Debian's 18.16), and the journal must work on every server moose-ts supports.
 */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t").replace(/\0/g, "\\0")}'`;
}

export function sqlUInt(value: number | bigint): string {
  if (typeof value === "number" && (!Number.isInteger(value) || value < 0)) throw new Error(`not an unsigned integer: ${value}`);
  return String(value);
}
