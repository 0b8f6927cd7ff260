/**
 * What a database has applied — the one reading every command shares (`moose ls`, `moose migrate
 * status`, `moose dev`): `readAppliedTruth`.
 *
 * Two tables say it. The migration runner's `_moose_state` (with its journal) says "the database is
 * at the end of migration file X". `moose dev` applies every save without files, so it keeps its own
 * `_moose_dev_state`: the manifest it last applied, stored IN the database it describes (deleting
 * `.moose/clickhouse` resets both, restarting keeps both). Sharing `_moose_state` would make
 * `moose migrate up --embedded` believe migrations ran that never did.
 *
 * So that the two can never contradict each other, every dev row records the `_moose_state` row it
 * was built on (`base`: `<migration id>@<version>`, "" for none). A dev row counts only while that
 * base is still the newest migration state; once `migrate up` (or `down`) records a newer state, the
 * journal is the truth again and the dev row is stale (the next dev reload starts from the
 * migrations' state and records a new row on top of it).
 */
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import { canonicalManifestJson, EMPTY_MANIFEST_HASH, hashManifest } from "../manifest/canonical.js";
import { emptyManifest, fromStoredManifest, type Manifest, type StoredManifest } from "../manifest/types.js";
import type { TableColumns } from "../infra/clickhouse/introspect.js";
import { readAppliedStateHead, readAppliedStateRow, readTableColumns, STATE_TABLE, type AppliedState } from "../migrations/runner/journal.js";

export const DEV_STATE_TABLE = "_moose_dev_state";

// One logical row (slot 'dev'); every write inserts a newer version and merges drop the older
// ones. Reads take the newest version, never relying on a merge having happened.
const DEV_STATE_DDL = `CREATE TABLE IF NOT EXISTS ${DEV_STATE_TABLE} (
  slot String,
  manifest_hash String,
  manifest String,
  recorded_at DateTime64(3, 'UTC'),
  version UInt64,
  base String
) ENGINE = ReplacingMergeTree(version) ORDER BY slot`;
// Tables created before `base` existed get it (their rows read as built on no migration).
const DEV_STATE_BASE_COLUMN = `ALTER TABLE ${DEV_STATE_TABLE} ADD COLUMN IF NOT EXISTS base String DEFAULT ''`;

const SLOT = "dev";

export type StateOrigin = "dev" | "migrations" | "empty";

export interface AppliedTruth {
  /** What the database has applied: dev's row when it sits on the newest migration state, else that state. */
  manifest: Manifest;
  hash: string;
  origin: StateOrigin;
  /** The newest `_moose_state` row (what the migration files brought the database to), if any. */
  migrations?: AppliedState;
  /** `moose dev` applied changes beyond the newest migration state (they are in no migration file yet). */
  devAhead: boolean;
  /** The `base` a dev row written now records. */
  base: string;
}

/** `<migration id>@<version>` of the newest migration state, "" when none was recorded. */
function baseOf(state: Pick<AppliedState, "migrationId" | "version"> | undefined): string {
  return state ? `${state.migrationId}@${state.version}` : "";
}

interface DevRow {
  manifest: Manifest;
  hash: string;
  version: number;
  base: string;
}

async function readDevRow(driver: ClickHouseDriver): Promise<DevRow | undefined> {
  // SELECT *: a table from before `base` existed (read-only commands never alter it) has no such column.
  const rows = await driver.query<{ manifest: string; manifest_hash: string; version: string | number; base?: string }>(
    `SELECT * FROM ${DEV_STATE_TABLE} WHERE slot = {slot:String} ORDER BY version DESC LIMIT 1`,
    { slot: SLOT },
  );
  const row = rows[0];
  if (!row) return undefined;
  return { manifest: fromStoredManifest(JSON.parse(row.manifest) as StoredManifest), hash: row.manifest_hash, version: Number(row.version), base: row.base ?? "" };
}

/** The newest row of each state table without its manifest: enough to tell which state is the truth, and its hash. */
interface TruthHead {
  migrations?: Omit<AppliedState, "manifest">;
  dev?: { hash: string; version: number; base: string };
}

/** `tables`: what readTableColumns already read of the two state tables, when the caller has it. */
async function readTruthHead(driver: ClickHouseDriver, tables?: TableColumns): Promise<TruthHead> {
  // The columns say which tables exist, and whether dev's has `base` (see readDevRow).
  const columns = tables ?? (await readTableColumns(driver, [STATE_TABLE, DEV_STATE_TABLE]));
  const devColumns = columns.get(DEV_STATE_TABLE);
  const [migrations, dev] = await Promise.all([
    columns.has(STATE_TABLE) ? readAppliedStateHead(driver) : undefined,
    devColumns
      ? driver
          .query<{ manifest_hash: string; version: string | number; base?: string }>(
            `SELECT manifest_hash, version${devColumns.has("base") ? ", base" : ""} FROM ${DEV_STATE_TABLE} WHERE slot = {slot:String} ORDER BY version DESC LIMIT 1`,
            { slot: SLOT },
          )
          .then(([row]) => (row ? { hash: row.manifest_hash, version: Number(row.version), base: row.base ?? "" } : undefined))
      : undefined,
  ]);
  return { ...(migrations ? { migrations } : {}), ...(dev ? { dev } : {}) };
}

/** The state the head names as the truth (the file's comment says which), and its hash. */
function winner(head: TruthHead): { origin: StateOrigin; hash: string; base: string } {
  const base = baseOf(head.migrations);
  if (head.dev && head.dev.base === base) return { origin: "dev", hash: head.dev.hash, base };
  if (head.migrations) return { origin: "migrations", hash: head.migrations.hash, base };
  return { origin: "empty", hash: EMPTY_MANIFEST_HASH, base };
}

/** Every fact of the truth, manifests included (read only now). */
async function readWholeTruth(driver: ClickHouseDriver, head: TruthHead): Promise<AppliedTruth> {
  const migrations = head.migrations ? await readAppliedStateRow(driver) : undefined;
  const base = baseOf(migrations);
  const dev = head.dev ? await readDevRow(driver) : undefined;
  const migrationsHash = migrations?.hash ?? EMPTY_MANIFEST_HASH;
  if (dev && dev.base === base) {
    return { manifest: dev.manifest, hash: dev.hash, origin: "dev", migrations, devAhead: dev.hash !== migrationsHash, base };
  }
  if (migrations) return { manifest: migrations.manifest, hash: migrations.hash, origin: "migrations", migrations, devAhead: false, base };
  return { manifest: emptyManifest(), hash: EMPTY_MANIFEST_HASH, origin: "empty", devAhead: false, base };
}

/** Read-only (creates nothing): what the database has applied, and who applied it. */
export async function readAppliedTruth(driver: ClickHouseDriver): Promise<AppliedTruth> {
  return readWholeTruth(driver, await readTruthHead(driver));
}

/**
 * As readAppliedTruth without reading a manifest (`moose migrate status`): the newest migration
 * state, and whether dev applied changes beyond it. `tables` as for readTruthHead.
 */
export async function readAppliedHead(driver: ClickHouseDriver, tables?: TableColumns): Promise<Pick<AppliedTruth, "devAhead"> & { migrations?: Omit<AppliedState, "manifest"> }> {
  const head = await readTruthHead(driver, tables);
  const { origin, hash } = winner(head);
  return { ...(head.migrations ? { migrations: head.migrations } : {}), devAhead: origin === "dev" && hash !== (head.migrations?.hash ?? EMPTY_MANIFEST_HASH) };
}

export interface LoadedDevState {
  manifest: Manifest;
  /** Where it came from: dev's own table, the migration runner's state, or nothing yet. */
  origin: StateOrigin;
}

export class DevStateStore {
  private lastVersion = 0;
  private base = "";

  private constructor(private readonly driver: ClickHouseDriver) {}

  static async open(driver: ClickHouseDriver): Promise<DevStateStore> {
    await driver.exec(DEV_STATE_DDL);
    await driver.exec(DEV_STATE_BASE_COLUMN);
    return new DevStateStore(driver);
  }

  /** The database's applied state now (see readAppliedTruth); later saves build on the state it was read from. */
  async load(): Promise<LoadedDevState> {
    const truth = await this.truth();
    return { manifest: truth.manifest, origin: truth.origin };
  }

  /** As `load`, with everything readAppliedTruth knows. */
  async truth(): Promise<AppliedTruth> {
    return (await this.truthUnless(undefined))!;
  }

  /**
   * The truth, unless its hash is `known` (undefined then): a reload reads two small rows, and a
   * state's manifest only when someone else changed it.
   */
  async truthUnless(known: string | undefined): Promise<AppliedTruth | undefined> {
    const head = await readTruthHead(this.driver);
    if (head.dev) this.lastVersion = Math.max(this.lastVersion, head.dev.version);
    const { hash, base } = winner(head);
    this.base = base;
    if (hash === known) return undefined;
    const truth = await readWholeTruth(this.driver, head);
    // A migration recorded between the two reads: later saves build on the state returned.
    this.base = truth.base;
    return truth;
  }

  /** Records the state (see stateRecord) as applied by dev. */
  async save(record: StateRecord): Promise<void> {
    // Versions only grow, even if the clock steps back.
    this.lastVersion = Math.max(this.lastVersion + 1, Date.now());
    await this.driver.insert(DEV_STATE_TABLE, [
      {
        slot: SLOT,
        manifest_hash: record.hash,
        manifest: record.json,
        recorded_at: new Date(),
        version: this.lastVersion,
        base: this.base,
      },
    ]);
  }
}

/** What DevStateStore.save writes of a state: its identity (hashManifest) and its canonical JSON. */
export interface StateRecord {
  hash: string;
  json: string;
}

/** ≈ 8 ms for 200 tables: a reload makes it while the engine applies the change (./reload.ts). */
export function stateRecord(manifest: Manifest): StateRecord {
  return { hash: hashManifest(manifest), json: canonicalManifestJson(manifest) };
}
