import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // chdb binds one data directory per process: every test file gets its own process.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
