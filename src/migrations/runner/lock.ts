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
 * completed, so whichever reads last sees the other's claim (one server; inserts are visible once
 * acknowledged). Both may see each other and both back off; the random backoff breaks the tie.
 *
 * A crashed holder cannot block forever: its lease runs out (default 60 s, renewed every 20 s while
 * alive). A holder on this same host whose process no longer exists is released at once.
 */
import { randomUUID } from "node:crypto";
import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { ClickHouseDriver } from "../../infra/clickhouse/driver.js";
import { MooseError } from "../../errors.js";
import { sqlString, sqlUInt } from "./sql.js";

export const LOCK_TABLE = "_moose_lock";
const LOCK_NAME = "migrate";

const LOCK_DDL = `CREATE TABLE IF NOT EXISTS ${LOCK_TABLE} (
  name String,
  token String,
  owner String,
  event String,
  at DateTime,
  expires_at DateTime
) ENGINE = MergeTree ORDER BY (name, at)`;

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
}

export function lockOwner(): string {
  return `${os.hostname()}:${process.pid}`;
}

export async function ensureLockTable(driver: ClickHouseDriver): Promise<void> {
  await driver.exec(LOCK_DDL);
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

/** A holder on this host whose process is gone (crashed, killed) holds nothing. */
function isDeadLocalHolder(holder: LockHolder): boolean {
  const separator = holder.owner.lastIndexOf(":");
  const host = holder.owner.slice(0, separator);
  const pid = Number(holder.owner.slice(separator + 1));
  if (host !== os.hostname() || !Number.isInteger(pid) || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export class MigrationLock {
  private renewTimer?: NodeJS.Timeout;
  private renewing?: Promise<void>;
  /** Set when a renewal finds the lock broken by someone else (`moose migrate unlock`). */
  lost = false;

  private constructor(
    private readonly driver: ClickHouseDriver,
    readonly token: string,
    readonly owner: string,
    private readonly leaseSeconds: number,
  ) {}

  static async acquire(driver: ClickHouseDriver, options: LockOptions = {}): Promise<MigrationLock> {
    const leaseSeconds = options.leaseSeconds ?? 60;
    const timeoutMs = options.timeoutMs ?? 60_000;
    const owner = lockOwner();
    const deadline = Date.now() + timeoutMs;
    await ensureLockTable(driver);
    let announced = false;
    for (;;) {
      const others = await liveHolders(driver);
      const dead = others.filter(isDeadLocalHolder);
      for (const holder of dead) await insertEvent(driver, holder.token, owner, "release", 0);
      const blocking = others.filter((holder) => !dead.includes(holder));
      if (blocking.length === 0) {
        const token = randomUUID();
        await insertEvent(driver, token, owner, "claim", leaseSeconds);
        const live = await liveHolders(driver);
        if (live.every((holder) => holder.token === token)) {
          const lock = new MigrationLock(driver, token, owner, leaseSeconds);
          lock.startRenewing();
          return lock;
        }
        await insertEvent(driver, token, owner, "release", 0);
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

  private startRenewing(): void {
    this.renewTimer = setInterval(() => {
      this.renewing = this.renew().catch(() => {
        // A failed renewal is retried on the next tick; the lease still has two thirds left.
      });
    }, (this.leaseSeconds * 1000) / 3);
    this.renewTimer.unref();
  }

  private async renew(): Promise<void> {
    const live = await liveHolders(this.driver);
    if (!live.some((holder) => holder.token === this.token)) {
      this.lost = true;
      return;
    }
    await insertEvent(this.driver, this.token, this.owner, "renew", this.leaseSeconds);
  }

  assertHeld(): void {
    if (this.lost) {
      throw new MooseError("MIGRATION_LOCK_LOST", "the migration lock was broken by someone else while this run held it", {
        hint: "someone ran `moose migrate unlock` (or this process stalled past its lease); check `moose migrate status` before running `moose migrate up` again",
      });
    }
  }

  async release(): Promise<void> {
    clearInterval(this.renewTimer);
    await this.renewing;
    await insertEvent(this.driver, this.token, this.owner, "release", 0);
  }
}

/** `moose migrate unlock`: releases every live attempt; returns what was broken. */
export async function breakLock(driver: ClickHouseDriver): Promise<LockHolder[]> {
  await ensureLockTable(driver);
  const holders = await liveHolders(driver);
  for (const holder of holders) await insertEvent(driver, holder.token, `unlock by ${lockOwner()}`, "release", 0);
  return holders;
}
