/**
 * The local state of `moose dev`: the manifest it last applied to the embedded database, stored IN
 * that database (table `_moose_dev_state`), so the state and the data it describes can never come
 * apart — deleting `.moose/clickhouse` resets both, restarting keeps both.
 *
 * It is deliberately not the migration runner's `_moose_state`: that table means "the database is at
 * the end of migration file X" (journal, checksums, chain), which dev never is — dev applies every
 * save directly, without files. Sharing it would make `moose migrate up --embedded` believe migrations
 * ran that never did. Only when dev has no state of its own yet does it start from `_moose_state`
 * (a database brought up by `moose migrate up --embedded`), so nothing is planned twice.
 */
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import { canonicalJson, hashManifest } from "../manifest/canonical.js";
import { emptyManifest, type Manifest } from "../manifest/types.js";
import { readAppliedState } from "../migrations/runner/journal.js";

export const DEV_STATE_TABLE = "_moose_dev_state";

// One logical row (slot 'dev'); every write inserts a newer version and merges drop the older
// ones. Reads take the newest version, never relying on a merge having happened.
const DEV_STATE_DDL = `CREATE TABLE IF NOT EXISTS ${DEV_STATE_TABLE} (
  slot String,
  manifest_hash String,
  manifest String,
  recorded_at DateTime64(3, 'UTC'),
  version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY slot`;

const SLOT = "dev";

export type StateOrigin = "dev" | "migrations" | "empty";

export interface LoadedDevState {
  manifest: Manifest;
  /** Where it came from: dev's own table, the migration runner's state, or nothing yet. */
  origin: StateOrigin;
}

export class DevStateStore {
  private lastVersion = 0;

  private constructor(private readonly driver: ClickHouseDriver) {}

  static async open(driver: ClickHouseDriver): Promise<DevStateStore> {
    await driver.exec(DEV_STATE_DDL);
    return new DevStateStore(driver);
  }

  async load(): Promise<LoadedDevState> {
    const rows = await this.driver.query<{ manifest: string; version: string }>(
      `SELECT manifest, toString(version) AS version FROM ${DEV_STATE_TABLE} WHERE slot = {slot:String} ORDER BY version DESC LIMIT 1`,
      { slot: SLOT },
    );
    const row = rows[0];
    if (row) {
      this.lastVersion = Number(row.version);
      return { manifest: JSON.parse(row.manifest) as Manifest, origin: "dev" };
    }
    const applied = await readAppliedState(this.driver);
    return applied ? { manifest: applied.manifest, origin: "migrations" } : { manifest: emptyManifest(), origin: "empty" };
  }

  async save(manifest: Manifest): Promise<void> {
    // Versions only grow, even if the clock steps back.
    this.lastVersion = Math.max(this.lastVersion + 1, Date.now());
    await this.driver.insert(DEV_STATE_TABLE, [
      { slot: SLOT, manifest_hash: hashManifest(manifest), manifest: canonicalJson(manifest), recorded_at: new Date(), version: this.lastVersion },
    ]);
  }
}
