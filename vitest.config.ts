import { configDefaults, defineConfig } from "vitest/config";

/**
 * Files that stop a replica of the shared test cluster (scripts/clickhouse-cluster): they run after
 * every other file, one at a time, so no other file's ON CLUSTER statement meets a replica they stopped.
 */
const SHARED_CLUSTER_STOPPERS = ["test/integration/migrations/cluster.test.ts", "test/integration/clusters/distributed-ddl.test.ts"];

export default defineConfig({
  test: {
    // chdb binds one data directory per process: every test file gets its own process.
    pool: "forks",
    // Guards against a hang, not speed targets: two files share the two cores (below), and a slow
    // moment of the machine doubles every wall time.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    projects: [
      {
        extends: true,
        test: {
          name: "concurrent",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...SHARED_CLUSTER_STOPPERS],
          // Two files at a time: most of the suite waits on servers, brokers and timeouts rather than on
          // the CPU (vitest's default on a 2-core machine is one). Every file has its own ports,
          // databases, topic namespaces and local services, so files do not see each other.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      { extends: true, test: { name: "shared-cluster", include: SHARED_CLUSTER_STOPPERS, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
