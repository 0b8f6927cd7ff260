/**
 * The SQL fragments ClickHouse's parser accepted (check.ts), kept between processes: on a
 * 1,000-table app the parser's two queries per fragment are seconds of every cold build, and a
 * build after editing one model changes only that model's fragments.
 *
 * A fragment is known by the sha256 of the parser's version (chdb's), the checking code's own
 * text, its kind and its text; only acceptances are kept (a refused fragment is parsed again, so
 * its message is always current). The file lives beside chdb in `node_modules/.cache/moose-ts/`,
 * named by that version, with a checksum: a damaged file is ignored, an unwritable folder only
 * costs the speed-up.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { writeFileAtomicSync } from "../files.js";

const HEADER = "moose-ts accepted sql";
/** The newest this many are kept. */
const MAX_KEPT = 200_000;

export class AcceptedFragments {
  private added = false;

  private constructor(
    /** Where the record is kept (undefined when chdb's folder cannot be found). */
    readonly file: string | undefined,
    private readonly salt: string,
    private readonly keys: Set<string>,
  ) {}

  /** `checker`: the checking code's text, so a change to the checks starts a new record. */
  static load(checker: string): AcceptedFragments {
    let file: string | undefined;
    let version = "unknown";
    try {
      const chdbPackage = createRequire(import.meta.url).resolve("chdb/package.json");
      version = (JSON.parse(readFileSync(chdbPackage, "utf8")) as { version: string }).version;
      file = path.resolve(chdbPackage, "../../.cache/moose-ts", `accepted-sql-${version}.txt`);
    } catch {
      // No chdb package.json to find: accept nothing from earlier processes.
    }
    const salt = sha256(`${version}\0${checker}`);
    return new AcceptedFragments(file, salt, new Set(file ? readKeys(file, salt) : []));
  }

  key(kind: string, text: string): string {
    return sha256(`${this.salt}\0${kind}\0${text}`).slice(0, 40);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    this.keys.add(key);
    this.added = true;
  }

  /** Writes the record when this process added to it (with what other processes wrote meanwhile). */
  save(): void {
    if (!this.added || !this.file) return;
    this.added = false;
    for (const key of readKeys(this.file, this.salt)) this.keys.add(key);
    const body = [this.salt, ...[...this.keys].slice(-MAX_KEPT)].join("\n");
    try {
      writeFileAtomicSync(this.file, `${HEADER} ${sha256(body)}\n${body}`);
    } catch {
      // Only a speed-up: the fragments are parsed again next time.
    }
  }
}

/** The keys in `file` when its checksum holds and it was written for these checks; none otherwise. */
function readKeys(file: string, salt: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const newline = text.indexOf("\n");
  const body = text.slice(newline + 1);
  if (newline < 0 || text.slice(0, newline) !== `${HEADER} ${sha256(body)}`) return [];
  const [fileSalt, ...keys] = body.split("\n");
  return fileSalt === salt ? keys : [];
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
