// scripts/kafka-local: start, start again, status, stop; its refusals; a cluster start that fails.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { openKafkaAdmin } from "../../../src/infra/kafka/executor.js";
import { BROKER_START_TIMEOUT_MS, brokerRunning, freePort, KAFKA_LOCAL, redpandaConfig } from "../../helpers/kafka.js";

const run = promisify(execFile);
const kafkaHome = process.env.MOOSE_KAFKA_HOME ?? join(homedir(), ".cache", "moose-ts", "kafka");

async function kafkaLocal(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(KAFKA_LOCAL, args, { timeout: BROKER_START_TIMEOUT_MS });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
    socket.connect(port, "127.0.0.1");
  });
}

describe("scripts/kafka-local", () => {
  let port: number | undefined;

  afterAll(async () => {
    if (port !== undefined) await kafkaLocal("stop", "--port", String(port));
  }, 60_000);

  it(
    "starts a broker kafkajs can use, reports the running one on a second start, and stop removes it",
    async () => {
      port = await freePort();
      const started = await kafkaLocal("start", "--port", String(port));
      expect(started).toMatchObject({ code: 0, stdout: `localhost:${port}\n` });

      const admin = openKafkaAdmin(redpandaConfig({ broker: started.stdout.trim(), namespace: "kafka_local_test_" }));
      try {
        await admin.execute({ createTopic: { topic: "probe", partitions: 2, config: {} } });
        expect(await admin.describeTopics()).toMatchObject([{ name: "probe", partitionCount: 2 }]);
      } finally {
        await admin.close();
      }

      expect(await kafkaLocal("start", "--port", String(port))).toMatchObject({ code: 0, stdout: `localhost:${port}\n` });
      expect((await kafkaLocal("status")).stdout).toContain(`localhost:${port} (pid `);

      expect((await kafkaLocal("stop", "--port", String(port))).code).toBe(0);
      expect(await accepts(port)).toBe(false);
      expect(existsSync(join(kafkaHome, String(port)))).toBe(false);
      port = undefined;
    },
    BROKER_START_TIMEOUT_MS,
  );

  it("refuses a port another program listens on", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const busy = (server.address() as { port: number }).port;
    try {
      const result = await kafkaLocal("start", "--port", String(busy));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${busy} is already in use by another program`);
    } finally {
      server.close();
    }
  });

  it("refuses a bad --port, a bad --brokers and an unknown command with usage", async () => {
    expect(await kafkaLocal("start", "--port", "http")).toMatchObject({ code: 1, stderr: expect.stringContaining("--port needs a port number") });
    expect(await kafkaLocal("restart")).toMatchObject({ code: 2, stderr: expect.stringContaining("kafka-local start [--port N]") });
    expect(await kafkaLocal("start", "--brokers", "0")).toMatchObject({ code: 1, stderr: expect.stringContaining("--brokers needs a number of brokers from 1 to 9") });
    expect(await kafkaLocal("start", "--brokers=many")).toMatchObject({ code: 1, stderr: expect.stringContaining("--brokers needs a number of brokers from 1 to 9") });
    // A cluster is stopped by its port alone: --brokers belongs to start.
    expect(await kafkaLocal("stop", "--brokers", "3")).toMatchObject({ code: 2, stderr: expect.stringContaining("--brokers N") });
  });

  it("a cluster start that times out stops every node it started and leaves their logs", async () => {
    const home = mkdtempSync(join(tmpdir(), "moose-kafka-failed-"));
    try {
      const port = await freePort();
      const env = { ...process.env, MOOSE_KAFKA_HOME: home, MOOSE_KAFKA_START_TIMEOUT: "1" };
      const failed = await run(KAFKA_LOCAL, ["start", "--brokers", "3", "--port", String(port)], { env, timeout: 60_000 }).catch((error: unknown) => error as { code: number; stderr: string });
      expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining("did not serve metadata with 3 broker(s)") });
      for (const node of [1, 2, 3]) {
        const pid = Number(readFileSync(join(home, String(port), `broker-${node}`, "pid"), "utf8"));
        expect(brokerRunning(pid)).toBe(false);
        expect(existsSync(join(home, String(port), `broker-${node}`, "logs", "server.log"))).toBe(true);
      }
      expect(await accepts(port)).toBe(false);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});
