/** `moose logs` and `moose generate hash-token` through the built CLI. */
import { pbkdf2Sync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { logEvent, logFilePath } from "../../../src/logs/logger.js";
import { runMoose, spawnMoose, waitForOutput } from "./cli-helpers.js";

const projectDir = mkdtempSync(join(tmpdir(), "moose-logs-cli-"));
afterAll(() => rmSync(projectDir, { recursive: true, force: true }));

describe("moose generate hash-token", () => {
  it("prints a pair whose key an independent pbkdf2 (hex text, 1000 iterations, 20 bytes, sha256) reproduces", async () => {
    const result = await runMoose(["generate", "hash-token", "--json"]);
    expect(result.code).toBe(0);
    const { api_key_hash, bearer_token } = JSON.parse(result.stdout) as { api_key_hash: string; bearer_token: string };
    const [tokenHex, saltHex] = bearer_token.split(".");
    expect(tokenHex).toMatch(/^[0-9a-f]{32}$/);
    expect(saltHex).toMatch(/^[0-9a-f]{32}$/);
    expect(pbkdf2Sync(tokenHex, saltHex, 1000, 20, "sha256").toString("hex")).toBe(api_key_hash);
  });

  it("explains where each half goes in its human output", async () => {
    const result = await runMoose(["generate", "hash-token"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/admin_api_key = "[0-9a-f]{40}"/);
    expect(result.stdout).toMatch(/^ {2}[0-9a-f]{32}\.[0-9a-f]{32}$/m);
    expect(result.stdout).toContain("MOOSE_AUTHENTICATION__ADMIN_API_KEY");
  });
});

describe("moose logs", () => {
  const secret = "0123456789abcdef0123456789abcdef.fedcba9876543210fedcba9876543210";

  it("says there is nothing yet for a fresh project", async () => {
    const result = await runMoose(["logs", "--dir", projectDir]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("no log events yet");
  });

  it("renders, filters and prints JSON, never showing a token that was logged", async () => {
    logEvent(projectDir, { kind: "build", message: "extract manifest", durationMs: 120 });
    logEvent(projectDir, { kind: "server", message: `admin call with ${secret}`, details: { token: secret } });
    expect(readFileSync(logFilePath(projectDir), "utf8")).not.toContain(secret);

    const human = await runMoose(["logs", "--dir", projectDir]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/INFO\s+build\s+extract manifest \(120 ms\)/);
    expect(human.stdout).not.toContain(secret);

    const filtered = await runMoose(["logs", "--dir", projectDir, "--filter", "SERVER", "--json"]);
    const lines = filtered.stdout.trim().split("\n").map((line) => JSON.parse(line) as { kind: string });
    expect(lines.map((line) => line.kind)).toEqual(["server"]);
    // MooseStack's short flag.
    expect((await runMoose(["logs", "--dir", projectDir, "-f", "SERVER", "--json"])).stdout).toBe(filtered.stdout);
  });

  it("--tail shows recent events, then follows new ones until interrupted", async () => {
    const child = spawnMoose(["logs", "--dir", projectDir, "-t", "--filter", "follow"]);
    try {
      // give the follower time to start watching, then append
      await new Promise((resolve) => setTimeout(resolve, 500));
      logEvent(projectDir, { kind: "reload", message: "follow me" });
      const output = await waitForOutput(child, /follow me/);
      expect(output).toMatch(/reload\s+follow me/);
    } finally {
      child.kill("SIGINT");
    }
    const code = await new Promise((resolve) => child.once("exit", (exitCode) => resolve(exitCode)));
    expect(code).toBe(0);
  });
});
