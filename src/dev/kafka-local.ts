/**
 * The Kafka broker `moose dev` starts when the code has streams and nothing answers at
 * `redpanda_config.broker`: the repository's `scripts/kafka-local` (Apache Kafka in KRaft mode from
 * Maven Central jars), on the configured port, with its state under `<project>/.moose/kafka`, and
 * stopped again when dev stops. Only a broker address on this machine can be started here.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { MooseError } from "../errors.js";
import { isLocalHost, runLocalScript, whileStarting, type ScriptResult } from "../infra/local-service.js";

export interface LocalKafka {
  broker: string;
  port: number;
  /** Stops the broker and deletes its data (it is a dev broker). */
  stop(): Promise<void>;
}

/** The port of a broker address on this machine (`localhost:19092`), or undefined for another host. */
export function localBrokerPort(broker: string): number | undefined {
  const first = broker.split(",")[0]!.trim();
  const match = /^(.*):(\d+)$/.exec(first);
  if (!match || !isLocalHost(match[1]!)) return undefined;
  const port = Number(match[2]);
  return port >= 1 && port <= 65535 ? port : undefined;
}

export function kafkaHome(projectDir: string): string {
  return path.join(projectDir, ".moose", "kafka");
}

/** A broker this project's dev started earlier (a crashed dev left it running): stop it with dev. */
export function ownsBroker(projectDir: string, port: number): boolean {
  return existsSync(path.join(kafkaHome(projectDir), String(port), "pid"));
}

function runScript(projectDir: string, args: string[], onLine: (line: string) => void): Promise<ScriptResult> {
  return runLocalScript("kafka-local", args, { MOOSE_KAFKA_HOME: kafkaHome(projectDir) }, onLine);
}

export function stopHandle(projectDir: string, port: number, broker: string): LocalKafka {
  return {
    broker,
    port,
    stop: async () => {
      await runScript(projectDir, ["stop", "--port", String(port)], () => {});
    },
  };
}

/**
 * Starts the broker on `port`, reporting milestones through `info` (the first start downloads the
 * jars with Maven: a line every 10 s says it is still going). Resolves once the broker serves metadata.
 */
export async function startLocalKafka(options: { projectDir: string; port: number; info: (line: string) => void }): Promise<LocalKafka> {
  const { projectDir, port, info } = options;
  const started = performance.now();
  const result = await whileStarting("Kafka", info, () =>
    runScript(projectDir, ["start", "--port", String(port)], (line) => info(`  Kafka: ${line.replace(/^kafka-local: /, "")}`)),
  );
  if (result.code !== 0) {
    throw new MooseError("DEV_KAFKA_START_FAILED", `moose dev could not start a local Kafka broker on port ${port}: ${result.stderr.trim().split("\n").slice(-5).join("\n  ")}`, {
      config: { key: "redpanda_config.broker" },
      hint:
        "the local broker needs Java 17+ and Maven (apt-get install openjdk-17-jre-headless maven); " +
        "or point redpanda_config.broker (MOOSE_REDPANDA_CONFIG__BROKER) at a running broker, " +
        "or turn streaming off with `[features] streaming_engine = false` (MOOSE_FEATURES__STREAMING_ENGINE=false)",
      details: { port, log: path.join(kafkaHome(projectDir), String(port), "logs") },
    });
  }
  const broker = result.stdout.trim().split("\n").pop() ?? `localhost:${port}`;
  info(`  Kafka: ready at ${broker} in ${((performance.now() - started) / 1000).toFixed(1)} s (data in .moose/kafka; stopped when moose dev stops)`);
  return stopHandle(projectDir, port, broker);
}
