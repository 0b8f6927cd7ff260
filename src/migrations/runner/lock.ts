/**
 * The migration lock: a lease in `_moose_lock` that works across processes and hosts on a
 * database without transactions. Every row is an event of one attempt (`token`):
 *   claim    — "I want the lock", with a lease end computed by the SERVER's clock (now() + lease)
 *   renew    — the holder extends its lease while it runs
 *   release  — the attempt is over (finished, withdrawn, or broken by `moose migrate unlock`)
 * An attempt is live while it has no release and its newest lease end is in the future.
 *
 * Acquire: wait until no other attempt is live; insert a claim; read the live attempts again.
 * Only if mine is the sole live attempt do I hold the lock; otherwise I withdraw (release) and retry
 * after a random backoff. Two racing claimers cannot both win: each reads after its own insert
 * completed, so whichever reads last sees the other's claim (one server: inserts are visible once
 * acknowledged; a cluster: the table is replicated and every insert waits for all hosts, ./cluster.ts).
 * Both may see each other and both back off; the random backoff breaks the tie.
 *
 * A crashed holder cannot block forever: its lease runs out (default 60 s, renewed every 20 s while
 * alive). A holder on this same host whose process no longer exists is released at once.
 *
 * Fencing: the holder knows when its lease was last confirmed (a successful claim or renewal, by
 * its own monotonic clock) and starts no step once the lease may have lapsed (confirmed + lease −
 * a safety margin < now): renewals that keep failing (a network outage) stop the run before
 * another host can take the lock under it.
 *
 * The protocol is written against a LockStore (store.ts): ClickHouseLockStore here, an in-memory
 * one in memory.ts for tests.
 */
import { randomUUID } from "node:crypto";
import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { ClickHouseDriver } from "../../infra/clickhouse/driver.js";
import { isAlive } from "../../infra/pid.js";
import { MooseError } from "../../errors.js";
import { clickHouseCodeOf } from "../../infra/clickhouse/errors.js";
import {
  journalEngine,
  onJournalCluster,
  replicatedTableExists,
  TOO_FEW_LIVE_REPLICAS,
  UNKNOWN_STATUS_OF_INSERT,
  UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE,
  waitForActiveReplicas,
  type JournalPlacement,
} from "./cluster.js";
import { tableExists } from "./journal.js";
import { sqlString, sqlUInt } from "./sql.js";
import { isLockStore, type LockStore } from "./store.js";

export const LOCK_TABLE = "_moose_lock";
const LOCK_NAME = "migrate";

function lockDdl(placement: JournalPlacement | undefined): string {
  return `CREATE TABLE IF NOT EXISTS ${LOCK_TABLE}${onJournalCluster(placement)} (
  name String,
  token String,
  owner String,
  event String,
  at DateTime,
  expires_at DateTime
) ENGINE = ${journalEngine(LOCK_TABLE, "MergeTree", [], placement)} ORDER BY (name, at)`;
}

export interface LockHolder {
  token: string;
  /** `host:pid` of the process that holds it. */
  owner: string;
  ageSeconds: number;
  expiresInSeconds: number;
}

export interface LockOptions {
  /** Lease length; the holder renews at a third of it. */
  leaseSeconds?: number;
  /** How long to wait for another holder before failing (0: fail at once). */
  timeoutMs?: number;
  /** Called once when the lock is busy and we start waiting. */
  onWait?: (holder: LockHolder) => void;
  /** Monotonic milliseconds for the lease fence (default performance.now; tests pass a fake clock). */
  clock?: () => number;
  /** How long before the lease's end the holder stops starting steps (default a sixth of the lease). */
  safetyMarginMs?: number;
  /** Renewal period (default a third of the lease). */
  renewEveryMs?: number;
}

const DEFAULT_LEASE_SECONDS = 60;

export function lockOwner(): string {
  return `${os.hostname()}:${process.pid}`;
}

export async function ensureLockTable(driver: ClickHouseDriver, placement?: JournalPlacement): Promise<void> {
  if (placement === undefined) return driver.exec(lockDdl(placement));
  // On a cluster, CREATE … ON CLUSTER waits for every host even when the table exists: only when missing.
  if (await replicatedTableExists(driver, LOCK_TABLE, placement)) return;
  await driver.exec(lockDdl(placement));
  await waitForActiveReplicas(driver, [LOCK_TABLE]);
}

export async function liveHolders(driver: ClickHouseDriver): Promise<LockHolder[]> {
  const rows = await driver.query<{ token: string; holder: string; age: string | number; expires_in: string | number }>(
    `SELECT token, any(owner) AS holder, toInt64(toUInt32(now())) - toInt64(toUInt32(min(at))) AS age, toInt64(toUInt32(max(expires_at))) - toInt64(toUInt32(now())) AS expires_in FROM ${LOCK_TABLE} WHERE name = ${sqlString(LOCK_NAME)} GROUP BY token HAVING countIf(event = 'release') = 0 AND max(expires_at) > now() ORDER BY min(at)`,
  );
  return rows.map((row) => ({ token: row.token, owner: row.holder, ageSeconds: Number(row.age), expiresInSeconds: Number(row.expires_in) }));
}

async function insertEvent(driver: ClickHouseDriver, token: string, owner: string, event: "claim" | "renew" | "release", leaseSeconds: number): Promise<void> {
  await driver.exec(
    `INSERT INTO ${LOCK_TABLE} (name, token, owner, event, at, expires_at) SELECT ${sqlString(LOCK_NAME)}, ${sqlString(token)}, ${sqlString(owner)}, ${sqlString(event)}, now(), now() + ${sqlUInt(leaseSeconds)}`,
  );
}

/**
 * An event on a clustered lock table: a quorum insert refused because another one is in flight
 * (servers before 20.10 allow one per table) is retried; a claim is not (the racing claim wins).
 */
async function insertEventRetrying(driver: ClickHouseDriver, token: string, owner: string, event: "renew" | "release", leaseSeconds: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await insertEvent(driver, token, owner, event, leaseSeconds);
    } catch (error) {
      if (clickHouseCodeOf(error) !== UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE || attempt >= 50) throw error;
      await sleep(20 + Math.random() * 100);
    }
  }
}

/** A holder on this host whose process is gone (crashed, killed) holds nothing. */
function isDeadLocalHolder(holder: LockHolder): boolean {
  const separator = holder.owner.lastIndexOf(":");
  const host = holder.owner.slice(0, separator);
  const pid = Number(holder.owner.slice(separator + 1));
  return host === os.hostname() && Number.isInteger(pid) && pid !== process.pid && !isAlive(pid);
}

/** How long a clustered claim retries while a replica is inactive before reporting it down. */
const REPLICA_GRACE_MS = 5_000;

function replicaDown(placement: JournalPlacement, cause: unknown, claimMayStand = false): MooseError {
  const server = String((cause as MooseError).details?.clickhouseMessage ?? (cause as Error).message);
  const outcome = claimMayStand
    ? "no migration ran, but the claim may have reached the replicas that are up: it holds the lock until its lease runs out, or until `moose migrate unlock` once every replica is back"
    : "nothing was changed";
  return new MooseError("CLUSTER_REPLICA_DOWN", `a replica of cluster ${placement.cluster} is down, so the migration lock cannot be written to every replica (${server}); ${outcome}`, {
    hint: "bring the replica back (or remove it from remote_servers), then run the command again; the journal and lock need every replica so that all of them keep the same history (docs/clusters.md)",
    details: { cluster: placement.cluster },
    cause,
  });
}

/** The ClickHouse lock store: events in `_moose_lock`, lease ends by the server's clock. */
export class ClickHouseLockStore implements LockStore {
  private prepared = false;
  /** When a claim first found a replica of the clustered lock table inactive. */
  private replicaMissingSince?: number;

  /** `placement`: the table is replicated across a cluster (./cluster.ts), and `driver` writes with its quorum. */
  constructor(
    private readonly driver: ClickHouseDriver,
    private readonly placement?: JournalPlacement,
  ) {}

  async prepare(): Promise<void> {
    if (this.prepared) return;
    await ensureLockTable(this.driver, this.placement);
    this.prepared = true;
  }

  read(): Promise<LockHolder[]> {
    return liveHolders(this.driver);
  }

  /** Insert a claim, read again: mine must be the only live attempt (whoever reads last sees the other). */
  async tryClaim(token: string, owner: string, leaseSeconds: number): Promise<boolean> {
    try {
      await insertEvent(this.driver, token, owner, "claim", leaseSeconds);
    } catch (error) {
      // Another claim's quorum insert is in flight (clustered lock): that one goes first, this one backs off.
      if (clickHouseCodeOf(error) === UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE) return false;
      if (this.placement !== undefined && clickHouseCodeOf(error) === TOO_FEW_LIVE_REPLICAS) {
        // A replica of a table another run just created turns active a moment later: a short grace, then it is down.
        this.replicaMissingSince ??= Date.now();
        if (Date.now() - this.replicaMissingSince < REPLICA_GRACE_MS) return false;
        throw replicaDown(this.placement, error);
      }
      // A replica that crashed a moment ago still counted as alive: the claim waited for it in vain (it lapses with its lease).
      // Such a write is kept where it landed and spreads once the replica is back (./cluster.ts): the claim may stand.
      if (this.placement !== undefined && clickHouseCodeOf(error) === UNKNOWN_STATUS_OF_INSERT) throw replicaDown(this.placement, error, true);
      throw error;
    }
    const live = await liveHolders(this.driver);
    if (live.every((holder) => holder.token === token)) return true;
    await insertEventRetrying(this.driver, token, owner, "release", 0);
    return false;
  }

  async renew(token: string, owner: string, leaseSeconds: number): Promise<boolean> {
    const live = await liveHolders(this.driver);
    if (!live.some((holder) => holder.token === token)) return false;
    await insertEventRetrying(this.driver, token, owner, "renew", leaseSeconds);
    return true;
  }

  async release(token: string, owner: string): Promise<void> {
    await insertEventRetrying(this.driver, token, owner, "release", 0);
  }

  /** Releases every live attempt (`moose migrate unlock`) through this store's connection. */
  breakAll(): Promise<LockHolder[]> {
    return breakAllThrough(this.driver);
  }
}

/**
 * The held lock, fenced: it remembers when its lease was last confirmed (the monotonic time a
 * successful claim or renewal was SENT, so the lease surely started no earlier) and refuses the
 * next step once the lease may have run out — after a network outage another host may already
 * hold the lock, and two runners must never apply steps at once.
 */
export class MigrationLock {
  private renewTimer?: NodeJS.Timeout;
  private renewing?: Promise<void>;
  private released = false;
  /** Monotonic ms (options.clock) when the newest successful claim/renewal was sent. */
  private confirmedAt: number;
  /** The newest failed renewal, for the message when the lease lapses. */
  private renewalError?: { at: number; message: string };
  /** Set when a renewal finds the lock no longer ours (`moose migrate unlock`, or the lease ran out). */
  lost = false;

  private constructor(
    private readonly store: LockStore,
    readonly token: string,
    readonly owner: string,
    readonly leaseSeconds: number,
    private readonly clock: () => number,
    private readonly safetyMarginMs: number,
    confirmedAt: number,
  ) {
    this.confirmedAt = confirmedAt;
  }

  /** Takes the lock in the target database (a ClickHouse driver) or in any other lock store. */
  static async acquire(target: ClickHouseDriver | LockStore, options: LockOptions = {}): Promise<MigrationLock> {
    const store = isLockStore(target) ? target : new ClickHouseLockStore(target);
    const leaseSeconds = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
    const timeoutMs = options.timeoutMs ?? 60_000;
    const clock = options.clock ?? (() => performance.now());
    const safetyMarginMs = options.safetyMarginMs ?? (leaseSeconds * 1000) / 6;
    const owner = lockOwner();
    const deadline = Date.now() + timeoutMs;
    await store.prepare();
    let announced = false;
    for (;;) {
      const others = await store.read();
      const dead = others.filter(isDeadLocalHolder);
      for (const holder of dead) await store.release(holder.token, owner);
      const blocking = others.filter((holder) => !dead.includes(holder));
      if (blocking.length === 0) {
        const token = randomUUID();
        const sentAt = clock();
        if (await store.tryClaim(token, owner, leaseSeconds)) {
          const lock = new MigrationLock(store, token, owner, leaseSeconds, clock, safetyMarginMs, sentAt);
          lock.startRenewing(options.renewEveryMs ?? (leaseSeconds * 1000) / 3);
          return lock;
        }
        await sleep(20 + Math.random() * 200);
        continue;
      }
      const holder = blocking[0]!;
      if (Date.now() >= deadline) {
        throw new MooseError(
          "MIGRATION_LOCKED",
          `another migration run holds the lock: ${holder.owner}, for ${holder.ageSeconds} s (lease ends in ${holder.expiresInSeconds} s unless renewed)`,
          {
            hint: "wait for it to finish and run the command again; if that process is gone (crashed on another host), run `moose migrate unlock` to break the lock",
            details: { owner: holder.owner, ageSeconds: holder.ageSeconds },
          },
        );
      }
      if (!announced) options.onWait?.(holder);
      announced = true;
      await sleep(Math.min(500, Math.max(50, deadline - Date.now())));
    }
  }

  private startRenewing(everyMs: number): void {
    this.renewTimer = setInterval(() => {
      if (this.renewing) return; // the previous renewal is still in flight (a slow network)
      this.renewing = this.renew().finally(() => {
        this.renewing = undefined;
      });
    }, everyMs);
    this.renewTimer.unref();
  }

  /** One renewal; never throws: a failure is remembered, and the fence in assertHeld decides. */
  async renew(): Promise<void> {
    if (this.released || this.lost) return;
    const sentAt = this.clock();
    try {
      if (await this.store.renew(this.token, this.owner, this.leaseSeconds)) {
        this.confirmedAt = Math.max(this.confirmedAt, sentAt);
        this.renewalError = undefined;
      } else {
        this.lost = true;
      }
    } catch (error) {
      this.renewalError = { at: this.clock(), message: (error as Error)?.message ?? String(error) };
    }
  }

  /** Milliseconds of lease left for sure (minus the safety margin); negative once it may have lapsed. */
  remainingMs(): number {
    return this.confirmedAt + this.leaseSeconds * 1000 - this.safetyMarginMs - this.clock();
  }

  /** Called before every step: refuses to go on without the lock, or when its lease may have lapsed. */
  assertHeld(): void {
    if (this.lost) {
      throw new MooseError("MIGRATION_LOCK_LOST", "the migration lock is no longer held by this run: it was broken (`moose migrate unlock`) or its lease ran out while this run held it", {
        hint: "another run may have taken over; check `moose migrate status` before running `moose migrate up` again (the migration resumes at the step it stopped before)",
      });
    }
    const remaining = this.remainingMs();
    if (remaining < 0) {
      const since = Math.round((this.clock() - this.confirmedAt) / 1000);
      const cause = this.renewalError ? ` (the last renewal failed: ${this.renewalError.message})` : "";
      throw new MooseError(
        "MIGRATION_LOCK_EXPIRED",
        `the migration lock's lease may have run out: it was last confirmed ${since} s ago and lasts ${this.leaseSeconds} s${cause}; stopping before the next step so that two runs never apply steps at once`,
        {
          hint: "check the connection to ClickHouse, then run the command again: the migration is journaled at the step it stopped before and resumes there",
          details: { sinceConfirmedSeconds: since, leaseSeconds: this.leaseSeconds, ...(this.renewalError ? { renewalError: this.renewalError.message } : {}) },
        },
      );
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.renewTimer);
    // A renewal in flight cannot revive a released attempt (a release ends it whatever comes after),
    // so a hung one (a dead connection) is not waited for long.
    if (this.renewing) await Promise.race([this.renewing, sleep(1000, undefined, { ref: false })]);
    await this.store.release(this.token, this.owner);
  }
}

/**
 * `moose migrate unlock`: releases every live attempt; returns what was broken. Creates nothing:
 * no lock table means nobody holds the lock (and a table made here would lack a cluster's placement).
 * Given a cluster's lock store, the releases go through its connection, with the journal's
 * all-replica quorum, so a run through any replica sees the lock free as soon as this returns.
 */
export async function breakLock(target: ClickHouseDriver | ClickHouseLockStore): Promise<LockHolder[]> {
  return target instanceof ClickHouseLockStore ? target.breakAll() : breakAllThrough(target);
}

async function breakAllThrough(driver: ClickHouseDriver): Promise<LockHolder[]> {
  if (!(await tableExists(driver, LOCK_TABLE))) return [];
  const holders = await liveHolders(driver);
  for (const holder of holders) await insertEventRetrying(driver, holder.token, `unlock by ${lockOwner()}`, "release", 0);
  return holders;
}
