import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { logEvent, logFilePath, logTimed } from "../../../src/logs/logger.js";
import { formatLogRecord, matchesFilter, parseLogLines, readLogSnapshot } from "../../../src/logs/read.js";
import { redact, REDACTED } from "../../../src/logs/redact.js";

const TOKEN = "501d84b122027d5521a50d4e59acc928.546e316f804b7ca75eaeb7a1c0d0d1b6";

describe("redact", () => {
  it("replaces values under secret-looking keys at any depth", () => {
    const result = redact({
      password: "pandapass",
      nested: { adminToken: "abc", admin_api_key: "1d8b71f68e2fdc8b13bb68917bfba9d8f204ddef", list: [{ secret: "s" }] },
      headers: { Authorization: "Bearer x" },
      user: "panda",
    });
    expect(result).toEqual({
      password: REDACTED,
      nested: { adminToken: REDACTED, admin_api_key: REDACTED, list: [{ secret: REDACTED }] },
      headers: { Authorization: REDACTED },
      user: "panda",
    });
  });

  it("scrubs tokens, bearer credentials, URL passwords and assignments out of free text", () => {
    const text = [
      `token ${TOKEN} used`,
      `Authorization: Bearer abc123`,
      "http://panda:pandapass@localhost:18123/?database=local",
      "connect password=hunter2&user=x",
      "MOOSE_ADMIN_TOKEN='q1w2e3'",
      "authorization: Token zz99yy",
      "Bearer 9f8e7d6c",
    ].join("\n");
    const result = redact(text) as string;
    for (const secret of [TOKEN, "abc123", "pandapass", "hunter2", "q1w2e3", "zz99yy", "9f8e7d6c"]) expect(result).not.toContain(secret);
    expect(result).toContain("http://panda:[redacted]@localhost:18123");
    expect(result).toContain("user=x");
  });

  it("cuts long strings to 16 KiB, still redacting a secret across the cut", () => {
    const across = `${"x".repeat(16 * 1024 - 8)} http://panda:hunter2@host ${"a.".repeat(40_000)}`;
    const result = redact(across) as string;
    expect(result).not.toContain("hunter2");
    expect(result.length).toBeLessThan(16 * 1024 + 100);
    expect(result).toMatch(/… \[cut: \d+ characters in all\]$/);
    // A long secret redacted early shortens the text: a credential cut in part where scrubbing stopped must not move into what is kept.
    const shifted = `Bearer ${"a1".repeat(1500)} ${"x".repeat(16 * 1024 + 1024 - 3025)}http://panda:hunter2@host ${"y".repeat(40_000)}`;
    expect(redact(shifted) as string).not.toContain("http://panda:hunt");
  });

  it("scrubs a URL password holding a raw `/` or `@` whole; a line of URL starts without one is kept", () => {
    for (const [text, kept] of [
      ["clickhouse at http://panda:pa/ss@db.internal:8123/local failed", "http://panda:[redacted]@db.internal:8123/local failed"],
      ["http://panda:p@ss/w@rd@db:8123", "http://panda:[redacted]@db:8123"],
      ["redis://:p#ss@cache:6379", "redis://:[redacted]@cache:6379"],
      ["amqp://user:pa?ss@queue/vhost", "amqp://user:[redacted]@queue/vhost"],
    ]) {
      expect(redact(text)).toContain(kept);
      for (const part of ["pa/ss", "ss/w", "rd@db", "p#ss", "pa?ss"]) expect(redact(text)).not.toContain(part.includes("@") ? `:${part}` : part);
    }
    // A port and a path holding an `@` are no password.
    expect(redact("GET http://localhost:4000/users/ada@example.com")).toBe("GET http://localhost:4000/users/ada@example.com");
    // Nothing to scrub, and each URL start scans at most 512 characters for its `@` (this test's timeout bounds it).
    const hostile = "a://b:".repeat(2500);
    expect(redact(hostile)).toBe(hostile);
  });

  it("keeps prose about credentials readable", () => {
    for (const text of ["Unauthorized: Bearer token missing", "Basic authentication is not supported", "invalid token", "password reset"]) {
      expect(redact(text)).toBe(text);
    }
  });

  it("keeps errors readable without their secrets", () => {
    const error = new Error(`request with ${TOKEN} failed`);
    expect(JSON.stringify(redact({ error }))).not.toContain(TOKEN);
    expect(redact({ error })).toMatchObject({ error: { name: "Error", message: "request with [redacted] failed" } });
  });
});

describe("logEvent", () => {
  let projectDir: string;
  beforeEach(() => {
    projectDir = mkdtempSync(join(tmpdir(), "moose-logs-"));
  });
  afterEach(() => rmSync(projectDir, { recursive: true, force: true }));

  it("appends one redacted JSON line per event under .moose/logs", () => {
    logEvent(projectDir, { kind: "server", message: `admin request with Bearer ${TOKEN}`, details: { token: TOKEN, path: "/admin/inframap" } }, new Date("2026-11-27T08:00:00Z"));
    logEvent(projectDir, { kind: "migration", message: "applied 20261127T080000Z_init", durationMs: 412.6 });
    const text = readFileSync(logFilePath(projectDir), "utf8");
    expect(text).not.toContain(TOKEN);
    const records = parseLogLines(text);
    expect(records).toHaveLength(2);
    expect(records[0]).toEqual({
      time: "2026-11-27T08:00:00.000Z",
      level: "info",
      kind: "server",
      message: "admin request with Bearer [redacted]",
      details: { token: REDACTED, path: "/admin/inframap" },
    });
    expect(records[1]).toMatchObject({ kind: "migration", durationMs: 413 });
  });

  it("logs the duration of timed work, and its failure with the error code before rethrowing", async () => {
    await logTimed(projectDir, "build", "extract manifest", async () => 1);
    const failure = Object.assign(new Error("boom"), { code: "EXTRACT_FAILED" });
    await expect(logTimed(projectDir, "build", "extract manifest", async () => Promise.reject(failure))).rejects.toBe(failure);
    const { records } = readLogSnapshot(projectDir);
    expect(records.map((r) => [r.level, r.message])).toEqual([
      ["info", "extract manifest"],
      ["error", "extract manifest failed"],
    ]);
    expect(typeof records[0].durationMs).toBe("number");
    expect(records[1].details).toEqual({ error: { message: "boom", code: "EXTRACT_FAILED" } });
  });

  it("an event of kind error defaults to level error", () => {
    logEvent(projectDir, { kind: "error", message: "x" });
    expect(readLogSnapshot(projectDir).records[0].level).toBe("error");
  });
});

describe("reading the log", () => {
  it("skips lines that are not log records", () => {
    const good = JSON.stringify({ time: "t", level: "info", kind: "plan", message: "m" });
    expect(parseLogLines(`${good}\nnot json\n{"a":1}\n${good}`)).toHaveLength(2);
  });

  it("filters case-insensitively over message, kind and details", () => {
    const record = { time: "t", level: "info" as const, kind: "step" as const, message: "ALTER Users", details: { table: "Users" } };
    expect(matchesFilter(record, "alter users")).toBe(true);
    expect(matchesFilter(record, "STEP")).toBe(true);
    expect(matchesFilter(record, "Events")).toBe(false);
    expect(matchesFilter(record, undefined)).toBe(true);
  });

  it("renders a record on one line with its duration", () => {
    const line = formatLogRecord({ time: "2026-11-27T08:01:02.345Z", level: "info", kind: "migration", message: "applied x", durationMs: 1500 });
    expect(line).toBe("2026-11-27 08:01:02.345  INFO   migration  applied x (1.50 s)");
  });
});
