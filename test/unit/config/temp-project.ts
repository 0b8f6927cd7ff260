/** A fresh project directory per test for the config tests, with its moose.config.toml writer and loader. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { MooseError } from "../../../src/errors.js";

export interface ConfigProject {
  /** The current test's project directory. */
  dir: string;
  writeToml(text: string): Promise<void>;
  /** The MooseError loadConfig throws (fails the test when it does not throw one). */
  loadError(env?: NodeJS.ProcessEnv, warn?: (message: string) => void): Promise<MooseError>;
}

export function useConfigProject(prefix: string): ConfigProject {
  const project: ConfigProject = {
    dir: "",
    writeToml: (text) => writeFile(path.join(project.dir, "moose.config.toml"), text),
    async loadError(env = {}, warn) {
      const error = await loadConfig(project.dir, env, warn).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(MooseError);
      return error as MooseError;
    },
  };
  beforeEach(async () => {
    project.dir = await mkdtemp(path.join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await rm(project.dir, { recursive: true, force: true });
  });
  return project;
}
