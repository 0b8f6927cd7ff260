/**
 * What `moose dev` loads before it is ready: packages only some apps or some moments need are
 * loaded when they are needed, not on every start (docs/performance.md, "Packages loaded on
 * first use"). ajv compiles ingest and consumption API checks; Handlebars renders the draft
 * migration, which a restart with nothing changed leaves alone; cli-progress draws a rebuild's
 * bar; kafkajs is for streaming, off here. (jose, loaded with the first JWT, is an ES module: the
 * preload sees CommonJS only.) A preload (test/helpers/loaded-modules.cjs) lists the
 * CommonJS modules the process holds when asked.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyQuickstart, DevProcess, devEnv, freePorts, REPO_ROOT, DEV_TEST_TIMEOUT_MS, type DevPorts, type TestProject } from "./dev-process.js";

const ON_DEMAND = ["ajv", "ajv-formats", "handlebars", "cli-progress", "kafkajs"];

describe("moose dev start-up loads no package it does not need yet", () => {
  let project: TestProject;
  let ports: DevPorts;
  let dev: DevProcess | undefined;
  const scratch = mkdtempSync(path.join(tmpdir(), "moose-modules-"));
  const listFile = path.join(scratch, "loaded.txt");
  const env = () =>
    devEnv(ports, {
      MOOSE_FEATURES__STREAMING_ENGINE: "false",
      NODE_OPTIONS: `--require ${path.join(REPO_ROOT, "test", "helpers", "loaded-modules.cjs")}`,
      MOOSE_TEST_LOADED_MODULES: listFile,
    });

  /** The packages under node_modules whose CommonJS files dev has loaded by now. */
  async function loadedPackages(running: DevProcess): Promise<Set<string>> {
    rmSync(listFile, { force: true });
    running.child.kill("SIGUSR2");
    const deadline = Date.now() + 10_000;
    while (!existsSync(listFile)) {
      if (Date.now() > deadline) throw new Error(`dev wrote no module list:\n${running.output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const packages = readFileSync(listFile, "utf8")
      .split("\n")
      .map((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1])
      .filter((name): name is string => name !== undefined);
    return new Set(packages);
  }

  beforeAll(async () => {
    project = copyQuickstart();
    ports = await freePorts();
  });

  afterAll(async () => {
    await dev?.stop();
    project?.remove();
    rmSync(scratch, { recursive: true, force: true });
  });

  it(
    "a restart with nothing to apply loads none of them; an ingest API added later brings ajv, and its checks work",
    async () => {
      // First start: creates the table and, after it (at the latest when it stops), writes the draft with Handlebars.
      dev = new DevProcess(project, env());
      await dev.ready();
      expect(await dev.stop()).toBe(0);
      expect(await project.read("migrations/draft.ts")).toContain("Users");

      dev = new DevProcess(project, env());
      await dev.ready();
      const atReady = await loadedPackages(dev);
      expect(atReady.has("chdb")).toBe(true); // the list is real: the engine's binding is CommonJS
      expect(ON_DEMAND.filter((name) => atReady.has(name))).toEqual([]);

      const mark = dev.mark();
      const app = await project.read("app/index.ts");
      await project.write(
        "app/index.ts",
        app
          .replace(`import { OlapTable, Stream } from "moose-ts";`, `import { IngestPipeline, OlapTable, Stream } from "moose-ts";`)
          .concat(`export const signups = new IngestPipeline<UserSchema>("Signups", { table: true, stream: true, ingestApi: true });\n`),
      );
      expect(await dev.nextReload(mark)).toMatch(/✓ reload/);
      const valid = await fetch(`http://localhost:${ports.api}/ingest/Signups`, { method: "POST", body: JSON.stringify({ id: "1", name: "Ada", email: "ada@example.com" }) });
      expect(valid.status).toBe(200);
      const invalid = await fetch(`http://localhost:${ports.api}/ingest/Signups`, { method: "POST", body: JSON.stringify({ id: 1, name: "Ada" }) });
      expect(invalid.status).toBe(400);
      expect(await invalid.text()).toMatch(/id|email/);
      expect((await loadedPackages(dev)).has("ajv")).toBe(true);
    },
    DEV_TEST_TIMEOUT_MS,
  );
});
