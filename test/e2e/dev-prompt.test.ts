/**
 * `moose dev` on a terminal asks before a save deletes rows, showing the row count; yes applies it.
 * The terminal is a real pseudo-terminal from util-linux `script`, so dev's stdin and stdout are TTYs.
 * Without a terminal the same save is refused (daily-use.test.ts); `--yes-destructive` skips the
 * question (dev.test.ts).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clickhouse, columnsOf, copyQuickstart, devEnv, freePorts, MOOSE_BIN, READY_TIMEOUT_MS, RELOAD_TIMEOUT_MS, type DevPorts, type TestProject } from "./dev-process.js";

const hasScript = spawnSync("script", ["--version"]).status === 0;

let project: TestProject;
let ports: DevPorts;
let dev: ChildProcessWithoutNullStreams;
let output = "";

async function waitFor(pattern: RegExp, from: number, timeoutMs = RELOAD_TIMEOUT_MS): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = output.slice(from);
    if (pattern.test(seen)) return seen;
    if (dev.exitCode !== null) throw new Error(`moose dev exited before ${pattern}:\n${seen}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in:\n${seen}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  if (!hasScript) return;
  project = copyQuickstart();
  ports = await freePorts();
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("MOOSE_") && name !== "CI"));
  // script -q (no banner) -f (flush) -e (its exit code) -c <command>: dev runs on the pty it creates.
  // `exec`: script runs the command through $SHELL or /bin/sh; dash does not exec it by itself and
  // would die of the Ctrl-C first (exit 130) while dev is still shutting down.
  dev = spawn("script", ["-qfec", `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(MOOSE_BIN)} dev`, "/dev/null"], {
    cwd: project.dir,
    env: { ...inherited, SHELL: "/bin/sh", NO_COLOR: "1", TERM: "xterm", ...devEnv(ports, { MOOSE_FEATURES__STREAMING_ENGINE: "false" }) },
  });
  dev.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  dev.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(/moose dev ready in \d+ ms/, 0, READY_TIMEOUT_MS);
}, READY_TIMEOUT_MS + 10_000);

afterAll(async () => {
  if (dev && dev.exitCode === null) {
    const exited = new Promise((resolve) => dev.once("exit", resolve));
    dev.stdin.write("\x03"); // Ctrl-C on the terminal
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    if (dev.exitCode === null) dev.kill("SIGKILL");
  }
  project?.remove();
}, 30_000);

describe.skipIf(!hasScript)("moose dev on a terminal", () => {
  it("asks before dropping a column that holds rows (with the row count); answering y applies it", async () => {
    const client = clickhouse(ports);
    try {
      await client.insert({ table: "Users", values: [{ id: "u1", name: "alice", email: "a@example.com" }, { id: "u2", name: "bob", email: "b@example.com" }], format: "JSONEachRow" });
      const mark = output.length;
      await project.edit("app/index.ts", "  email: string;\n", "");
      const asked = await waitFor(/Apply it to the local database\? \[y\/N\]/, mark);
      expect(asked).toContain("drop column email from Users — Users holds 2 rows");
      expect(await columnsOf(client, "Users")).toHaveProperty("email");
      dev.stdin.write("y\r");
      expect(await waitFor(/✓ reload in \d+ ms: 1 change applied/, mark)).toContain("data loss applied locally: drop column email from Users");
      expect(await columnsOf(client, "Users")).toEqual({ id: "String", name: "String" });
    } finally {
      await client.close();
    }
  }, RELOAD_TIMEOUT_MS * 2);

  it("after the question, Ctrl-C on the terminal still stops dev cleanly (exit 0)", async () => {
    const exited = new Promise<number | null>((resolve) => dev.once("exit", (code) => resolve(code)));
    dev.stdin.write("\x03");
    expect(await exited).toBe(0);
    expect(output).toContain("moose dev stopped");
  }, 30_000);
});
