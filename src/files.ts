/**
 * Files other processes and readers may open at any moment (caches, dev's state files, the draft,
 * the snapshot): written beside their place under a name of this process, then renamed over it, so a
 * reader sees the old file or the new one, never half of one. The parent folder is created; a failed
 * write leaves no partial file behind and throws.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

export interface AtomicWriteOptions {
  /** Permissions of the new file (a replaced file's are not kept), e.g. 0o600 for one holding a password. */
  mode?: number;
}

export function writeFileAtomicSync(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = partialFile(file);
  try {
    writeFileSync(partial, data, options);
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const partial = partialFile(file);
  try {
    await writeFile(partial, data, options);
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

function partialFile(file: string): string {
  return `${file}.${process.pid}.tmp`;
}
