/**
 * No process outlives a command (src/infra/children.ts): each command of the CLI (bundled from
 * src/) runs as the leader of its own process group, and once it has exited the group is empty
 * (esbuild's service used to stay behind `moose build`, and behind `migrate up` when it compiled a
 * migration file; `moose dev` runs it for its modules until it is stopped). Members are read from
 * /proc (Linux).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "../../helpers/kafka.js";
import { spawnCli, useCliProjects } from "../migrations/cli.js";
import { waitForOutput } from "../server/cli-helpers.js";

const { cli, newProject } = useCliProjects("moose-leftovers-");

/** `pid (name) state` of every process whose process group is `pgid`, zombies included. */
function groupMembers(pgid: number): string[] {
  const members: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    const afterName = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(afterName[2]) === pgid) members.push(`${stat.slice(0, stat.lastIndexOf(")") + 1)} ${afterName[0]}`);
  }
  return members;
}

async function runInOwnGroup(args: string[], cwd: string): Promise<{ code: number | null; output: string; left: string[] }> {
  const run = spawnCli(cli(), args, { cwd, detached: true, env: { MOOSE_FEATURES__STREAMING_ENGINE: "false" } });
  const { code } = await run.exit;
  return { code, output: run.stdout() + run.stderr(), left: groupMembers(run.child.pid!) };
}

describe("no process is left behind", () => {
  it("by build, plan, migrate generate/up/status, ls, and a failing build", async () => {
    const project = newProject();
    mkdirSync(path.join(project.dir, "app"), { recursive: true });
    const index = path.join(project.dir, "app", "index.ts");
    writeFileSync(index, `import { OlapTable } from "moose-ts";\ninterface User { id: string; name: string }\nexport const users = new OlapTable<User>("Users");\n`);
    const commands = [
      ["build"],
      ["build"], // answered by the build cache
      ["plan"],
      ["migrate", "generate", "--name", "init"],
      ["migrate", "up", "--embedded"], // compiles the migration file with esbuild
      ["migrate", "status", "--embedded"],
      ["ls"],
      ["--version"],
    ];
    for (const args of commands) {
      const { code, output, left } = await runInOwnGroup(args, project.dir);
      expect(code, `moose ${args.join(" ")}: ${output}`).toBe(0);
      expect(left, `moose ${args.join(" ")}`).toEqual([]);
    }
    writeFileSync(index, `import { OlapTable } from "moose-ts";\ninterface User { id: string; name: bigint }\nexport const users = new OlapTable<User>("Users");\n`);
    const failed = await runInOwnGroup(["build"], project.dir);
    expect(failed.code).toBe(1);
    expect(failed.left).toEqual([]);
  });

  it("by moose dev, stopped with Ctrl-C", async () => {
    const project = newProject();
    mkdirSync(path.join(project.dir, "app"), { recursive: true });
    writeFileSync(path.join(project.dir, "app", "index.ts"), `import { OlapTable } from "moose-ts";\ninterface User { id: string }\nexport const users = new OlapTable<User>("Users");\n`);
    const env = {
      MOOSE_FEATURES__STREAMING_ENGINE: "false",
      MOOSE_CLICKHOUSE_CONFIG__HOST_PORT: String(await freePort()),
      MOOSE_HTTP_SERVER_CONFIG__PORT: String(await freePort()),
    };
    const dev = spawnCli(cli(), ["dev"], { cwd: project.dir, detached: true, env });
    await waitForOutput(dev.child, /moose dev ready/, 90_000);
    process.kill(dev.child.pid!, "SIGINT");
    const { code } = await dev.exit;
    expect(code, dev.stdout() + dev.stderr()).toBe(0);
    expect(groupMembers(dev.child.pid!)).toEqual([]);
  });
});
