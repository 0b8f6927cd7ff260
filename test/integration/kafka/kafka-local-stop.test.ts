/**
 * `scripts/kafka-local stop` stops only the broker it is asked about: the one on `--port N`, or
 * without `--port` the one `start` uses by default (19092) — never other brokers that share the
 * state directory (other projects', other test runs'). The brokers here are stand-in processes
 * that look like the script's own (their command line names their instance's server.properties,
 * which is how the script recognises its brokers), so no Kafka is started.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { KAFKA_LOCAL } from "../../helpers/kafka.js";

const run = promisify(execFile);
const home = mkdtempSync(path.join(tmpdir(), "moose-kafka-home-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  rmSync(home, { recursive: true, force: true });
});

/** A process the script takes for its broker on `port`. */
function fakeBroker(port: number): ChildProcess {
  const instance = path.join(home, String(port));
  mkdirSync(instance, { recursive: true });
  writeFileSync(path.join(instance, "server.properties"), `listeners=PLAINTEXT://127.0.0.1:${port}\n`);
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", path.join(instance, "server.properties")], { stdio: "ignore" });
  writeFileSync(path.join(instance, "pid"), `${child.pid}\n`);
  children.push(child);
  return child;
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
const exited = (child: ChildProcess) => new Promise<void>((resolve) => (alive(child) ? child.once("exit", () => resolve()) : resolve()));

describe("kafka-local stop", () => {
  it("without --port stops only the default-port broker; --port N only that one", async () => {
    const other = fakeBroker(45001);
    const mine = fakeBroker(45002);
    const byDefault = fakeBroker(19092);
    const env = { ...process.env, MOOSE_KAFKA_HOME: home };

    await run("bash", [KAFKA_LOCAL, "stop"], { env });
    await exited(byDefault);
    expect(alive(byDefault)).toBe(false);
    expect(existsSync(path.join(home, "19092"))).toBe(false);
    expect(alive(other)).toBe(true);
    expect(alive(mine)).toBe(true);

    await run("bash", [KAFKA_LOCAL, "stop", "--port", "45002"], { env });
    await exited(mine);
    expect(alive(mine)).toBe(false);
    expect(existsSync(path.join(home, "45002"))).toBe(false);
    expect(alive(other)).toBe(true);
    expect(existsSync(path.join(home, "45001", "pid"))).toBe(true);
  }, 60_000);
});
