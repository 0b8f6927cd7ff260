/**
 * The runner's storage contracts, so the runner does not care where its history and its lock live
 * (the idea of umzug's storage and of Atlas's revision reader/writer):
 *
 *   JournalStore  the journal (one current row per migration) and the state (the manifest the
 *                 database is at after each applied or reverted migration)
 *   LockStore     a lease-based lock: claim, renew, release, read the live attempts
 *
 * ClickHouse implements both in the target database (journal.ts, lock.ts); memory.ts keeps them in
 * memory, for fast tests of the runner's edge cases (a lapsed lease, failed writes, racing runners).
 */
import type { JournalEntry } from "./journal.js";
import type { LockHolder } from "./lock.js";

/** The newest `_moose_state` row: the migration the database is at ("" for the empty state). */
export interface StateRecord {
  migrationId: string;
  hash: string;
}

export interface JournalStore {
  /** Creates the storage when missing. Called before anything is written; reads never create. */
  prepare(): Promise<void>;
  /** The current row of every migration the store has seen, by id (empty when there is no journal). */
  entries(): Promise<Map<string, JournalEntry>>;
  /** The newest state, or undefined when no state was ever recorded (or the state is gone). */
  state(): Promise<StateRecord | undefined>;
  /** A new current row for a migration (its version is assigned by the store). */
  record(entry: Omit<JournalEntry, "version">): Promise<void>;
  /** `state` is the manifest's hash and canonical JSON; `migrationId` is the id the database is then at. */
  recordState(migrationId: string, state: { hash: string; json: string }): Promise<void>;
}

export interface LockStore {
  /** Creates the storage when missing. */
  prepare(): Promise<void>;
  /** The live attempts (not released, lease not over), oldest first. */
  read(): Promise<LockHolder[]>;
  /**
   * Claims the lock for `token` with a lease of `leaseSeconds` (by the store's clock). True when
   * this attempt is then the only live one; otherwise the claim is withdrawn and false returned.
   */
  tryClaim(token: string, owner: string, leaseSeconds: number): Promise<boolean>;
  /** Extends the lease of a live attempt; false when it is no longer live (broken, or its lease ran out). */
  renew(token: string, owner: string, leaseSeconds: number): Promise<boolean>;
  /** Ends an attempt: the holder's own, or another's (a dead holder, `moose migrate unlock`). */
  release(token: string, owner: string): Promise<void>;
}

export function isLockStore(value: unknown): value is LockStore {
  return typeof value === "object" && value !== null && typeof (value as LockStore).tryClaim === "function";
}
