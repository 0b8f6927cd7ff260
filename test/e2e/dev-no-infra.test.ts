/**
 * `moose dev --no-infra` (MooseStack's flag for "start no local services"): with streaming on and
 * nothing answering at the configured local broker, dev stops with KAFKA_UNREACHABLE naming the key
 * instead of starting a broker there. Needs `npm run build`.
 */
import { expect, it } from "vitest";
import { freePort } from "../helpers/kafka.js";
import { copyQuickstart, DevProcess, devEnv, freePorts, DEV_TEST_TIMEOUT_MS } from "./dev-process.js";

it(
  "starts no local broker: an unanswered broker address stops dev, naming the key",
  async () => {
    const project = copyQuickstart();
    try {
      const env = devEnv(await freePorts(), { MOOSE_FEATURES__STREAMING_ENGINE: "true", MOOSE_REDPANDA_CONFIG__BROKER: `localhost:${await freePort()}` });
      const dev = new DevProcess(project, env, ["--no-infra"]);
      expect(await dev.exited()).toBe(1);
      expect(dev.output).toContain("KAFKA_UNREACHABLE");
      expect(dev.output).toContain("redpanda_config.broker");
      expect(dev.output).not.toContain("starting a local broker");
    } finally {
      project.remove();
    }
  },
  DEV_TEST_TIMEOUT_MS,
);
