/**
 * In-memory journal and lock stores: the same contracts as the ClickHouse ones (store.ts), kept in
 * this process. For tests of the runner's edge cases without a database: a fake clock for lease
 * ends, failures injected by replacing a method (vi.spyOn), several runners sharing one store.
 */
import type { JournalEntry } from "./journal.js";
import type { LockHolder } from "./lock.js";
import type { JournalStore, LockStore, StateRecord } from "./store.js";

/** Lets other promises run between a store's write and its read, as a network round trip would. */
const roundTrip = () => new Promise<void>((resolve) => setImmediate(resolve));

export class MemoryJournalStore implements JournalStore {
  /** Every row ever recorded, in order (the journal keeps history; the current row is the newest). */
  readonly rows: JournalEntry[] = [];
  readonly states: (StateRecord & { json: string; version: bigint })[] = [];
  private version = 0n;

  async prepare(): Promise<void> {}

  async entries(): Promise<Map<string, JournalEntry>> {
    await roundTrip();
    const current = new Map<string, JournalEntry>();
    for (const row of this.rows) current.set(row.id, { ...row });
    return current;
  }

  async state(): Promise<StateRecord | undefined> {
    await roundTrip();
    const newest = this.states.at(-1);
    return newest ? { migrationId: newest.migrationId, hash: newest.hash } : undefined;
  }

  async record(entry: Omit<JournalEntry, "version">): Promise<void> {
    await roundTrip();
    this.rows.push({ ...entry, version: ++this.version });
  }

  async recordState(migrationId: string, state: { hash: string; json: string }): Promise<void> {
    await roundTrip();
    this.states.push({ migrationId, hash: state.hash, json: state.json, version: ++this.version });
  }

  /** What `DROP TABLE _moose_migrations` does. */
  dropJournal(): void {
    this.rows.length = 0;
  }
}

interface Attempt {
  token: string;
  owner: string;
  claimedAt: number;
  expiresAt: number;
  released: boolean;
}

/** A lease lock whose lease ends are measured by `now` (milliseconds; a fake clock in tests). */
export class MemoryLockStore implements LockStore {
  readonly attempts: Attempt[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  async prepare(): Promise<void> {}

  private live(): Attempt[] {
    const now = this.now();
    return this.attempts.filter((attempt) => !attempt.released && attempt.expiresAt > now);
  }

  async read(): Promise<LockHolder[]> {
    await roundTrip();
    const now = this.now();
    return this.live().map((attempt) => ({
      token: attempt.token,
      owner: attempt.owner,
      ageSeconds: Math.round((now - attempt.claimedAt) / 1000),
      expiresInSeconds: Math.round((attempt.expiresAt - now) / 1000),
    }));
  }

  /** Claim, then (after a round trip, so racing claimers interleave) check mine is the only live one. */
  async tryClaim(token: string, owner: string, leaseSeconds: number): Promise<boolean> {
    await roundTrip();
    const attempt: Attempt = { token, owner, claimedAt: this.now(), expiresAt: this.now() + leaseSeconds * 1000, released: false };
    this.attempts.push(attempt);
    await roundTrip();
    if (this.live().every((other) => other.token === token)) return true;
    attempt.released = true;
    return false;
  }

  async renew(token: string, _owner: string, leaseSeconds: number): Promise<boolean> {
    await roundTrip();
    const attempt = this.live().find((other) => other.token === token);
    if (!attempt) return false;
    attempt.expiresAt = this.now() + leaseSeconds * 1000;
    return true;
  }

  async release(token: string): Promise<void> {
    await roundTrip();
    for (const attempt of this.attempts) if (attempt.token === token) attempt.released = true;
  }

  /** The live attempts right now, without a round trip (for assertions). */
  holders(): string[] {
    return this.live().map((attempt) => attempt.token);
  }
}
