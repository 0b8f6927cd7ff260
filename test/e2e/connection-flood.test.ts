/**
 * A flood of idle connections against `moose dev`'s API server, run under an open-file limit of 700
 * (`ulimit -n`): the server holds at most that limit less 512 descriptors of connections and closes
 * the rest at once (src/server/http.ts connectionCap), so the process keeps descriptors for its
 * engine and log, and serves again as soon as the flood goes. Without the cap the sockets would
 * take every descriptor.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connectionCap } from "../../src/server/http.js";
import { copyQuickstart, devEnv, freePorts, MOOSE_BIN, READY_TIMEOUT_MS, type DevPorts, type TestProject } from "./dev-process.js";

const OPEN_FILES = 700;

describe("connectionCap", () => {
  it("is the soft open-file limit less 512, at least 64; no cap when unlimited or unknown", () => {
    const limits = (soft: string) => `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                65536                files\n`;
    expect(connectionCap(limits("20000"))).toBe(19_488);
    expect(connectionCap(limits("600"))).toBe(88);
    expect(connectionCap(limits("256"))).toBe(64);
    expect(connectionCap(limits("unlimited"))).toBeUndefined();
    expect(connectionCap(undefined)).toBeUndefined();
  });
});

describe("moose dev under a flood of idle connections", () => {
  let project: TestProject;
  let ports: DevPorts;
  let dev: ChildProcess;
  let output = "";

  beforeAll(async () => {
    project = copyQuickstart();
    ports = await freePorts();
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("MOOSE_")));
    dev = spawn("bash", ["-c", `ulimit -n ${OPEN_FILES} && exec "$0" "$1" dev`, process.execPath, MOOSE_BIN], {
      cwd: project.dir,
      env: { ...inherited, NO_COLOR: "1", ...devEnv(ports, { MOOSE_FEATURES__STREAMING_ENGINE: "false" }) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    dev.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!/moose dev ready in \d+ ms/.test(output)) {
      if (dev.exitCode !== null || Date.now() > deadline) throw new Error(`dev did not get ready:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, READY_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    if (dev && dev.exitCode === null) {
      dev.kill("SIGINT");
      await new Promise((resolve) => dev.once("exit", resolve));
    }
    project?.remove();
  });

  it("closes connections past the cap at once, stays up, and answers again once the flood is gone", async () => {
    const cap = OPEN_FILES - 512;
    const sockets: Socket[] = [];
    let closedByServer = 0;
    // Twice the cap of connections that never send a request.
    await Promise.all(
      Array.from({ length: cap * 2 }, () =>
        new Promise<void>((resolve) => {
          const socket = connect(ports.api, "127.0.0.1", () => resolve());
          socket.on("close", () => closedByServer++);
          socket.on("error", () => resolve());
          sockets.push(socket);
        }),
      ),
    );
    // The server accepts (and closes) them as its event loop gets to them: later on a loaded machine.
    await vi.waitFor(() => expect(closedByServer).toBeGreaterThanOrEqual(cap - 10), { timeout: 20_000, interval: 100 });
    expect(dev.exitCode).toBeNull();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const health = await fetch(`http://localhost:${ports.api}/health`);
    expect(health.status).toBe(200);
    expect(output).not.toMatch(/EMFILE/);
  }, 60_000);
});
