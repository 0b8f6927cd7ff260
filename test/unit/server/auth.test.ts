import { pbkdf2, pbkdf2Sync } from "node:crypto";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import {
  deriveApiKeyHash,
  generateHashToken,
  parseBearerHeader,
  tokenMatchesKey,
  verifyAdminAuthorization,
} from "../../../src/server/auth.js";

/** The documented scheme, computed here without our code: PBKDF2-HMAC-SHA256(token hex text, salt hex text, 1000, 20). */
function independentKey(bearerToken: string): string {
  const [tokenHex, saltHex] = bearerToken.split(".");
  return pbkdf2Sync(Buffer.from(tokenHex, "utf8"), Buffer.from(saltHex, "utf8"), 1000, 20, "sha256").toString("hex");
}

const pbkdf2Async = promisify(pbkdf2);

describe("generateHashToken", () => {
  it("makes a 16-byte token and 16-byte salt in hex, joined by a dot", () => {
    const { bearerToken, apiKeyHash } = generateHashToken();
    expect(bearerToken).toMatch(/^[0-9a-f]{32}\.[0-9a-f]{32}$/);
    expect(apiKeyHash).toMatch(/^[0-9a-f]{40}$/);
  });

  it("produces a key that an independent node:crypto pbkdf2 computes identically", () => {
    const { bearerToken, apiKeyHash } = generateHashToken();
    expect(apiKeyHash).toBe(independentKey(bearerToken));
  });

  it("produces a fresh token every time", () => {
    expect(generateHashToken().bearerToken).not.toBe(generateHashToken().bearerToken);
  });
});

describe("deriveApiKeyHash", () => {
  it("hashes the hex TEXT of token and salt (MooseStack's interpretation), not the decoded bytes", () => {
    const tokenHex = "00112233445566778899aabbccddeeff";
    const saltHex = "ffeeddccbbaa99887766554433221100";
    const fromBytes = pbkdf2Sync(Buffer.from(tokenHex, "hex"), Buffer.from(saltHex, "hex"), 1000, 20, "sha256").toString("hex");
    expect(deriveApiKeyHash(tokenHex, saltHex)).toBe(independentKey(`${tokenHex}.${saltHex}`));
    expect(deriveApiKeyHash(tokenHex, saltHex)).not.toBe(fromBytes);
  });
});

describe("parseBearerHeader", () => {
  const token = generateHashToken().bearerToken;

  it("accepts `Bearer <token>`", () => {
    expect(parseBearerHeader(`Bearer ${token}`)).toEqual({ ok: true, token });
  });

  it.each([
    ["no header", undefined],
    ["empty", ""],
    ["blank", "   "],
    ["scheme only", "Bearer"],
    ["scheme and spaces", "Bearer   "],
    ["three parts", "Bearer a.b.c"],
    ["three hex parts", `Bearer ${token}.abcd`],
    ["non-hex", `Bearer ${"z".repeat(32)}.${"y".repeat(32)}`],
    ["no dot", `Bearer ${"a".repeat(64)}`],
    ["short parts", "Bearer abcd.ef01"],
    ["very long", `Bearer ${"a".repeat(10_000)}.${"b".repeat(10_000)}`],
    ["Basic scheme", `Basic ${Buffer.from(`user:${token}`).toString("base64")}`],
    ["token without scheme", token],
    ["Token scheme", `Token ${token}`],
    ["extra words", `Bearer ${token} extra`],
  ])("rejects %s", (_name, header) => {
    const result = parseBearerHeader(header);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason.length).toBeGreaterThan(0);
  });
});

describe("verifyAdminAuthorization", () => {
  const { bearerToken, apiKeyHash } = generateHashToken();

  it("accepts the token for its key", async () => {
    expect(await verifyAdminAuthorization(`Bearer ${bearerToken}`, apiKeyHash)).toEqual({ ok: true });
  });

  it("accepts a key written in upper case hex", async () => {
    expect(await verifyAdminAuthorization(`Bearer ${bearerToken}`, apiKeyHash.toUpperCase())).toEqual({ ok: true });
  });

  it("rejects another well-formed token", async () => {
    const other = generateHashToken().bearerToken;
    expect(await verifyAdminAuthorization(`Bearer ${other}`, apiKeyHash)).toEqual({ ok: false, reason: "invalid token" });
  });

  it("rejects the key itself used as a token", async () => {
    expect((await verifyAdminAuthorization(`Bearer ${apiKeyHash}`, apiKeyHash)).ok).toBe(false);
  });

  it("refuses everything when no key is configured, saying how to set one", async () => {
    const result = await verifyAdminAuthorization(`Bearer ${bearerToken}`, "");
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toContain("admin_api_key");
      expect(result.reason).toContain("moose generate hash-token");
    }
  });

  it("refuses everything when the configured key is not a 40-hex key", async () => {
    const result = await verifyAdminAuthorization(`Bearer ${bearerToken}`, "not-a-key");
    expect(result).toEqual({ ok: false, reason: expect.stringContaining("40-hex") });
  });
});

describe("tokenMatchesKey under a flood of wrong tokens", () => {
  it("answers a token already found to match without waiting for the thread pool the flood fills", async () => {
    const { bearerToken, apiKeyHash } = generateHashToken();
    expect(await tokenMatchesKey(bearerToken, apiKeyHash)).toBe(true);
    // Every thread of libuv's pool busy with a long derivation, as under thousands of wrong tokens.
    let flooded = 0;
    const flood = Array.from({ length: 8 }, () => pbkdf2Async("x", "y", 1_000_000, 20, "sha256").then(() => flooded++));
    expect(await tokenMatchesKey(bearerToken, apiKeyHash)).toBe(true);
    expect(flooded).toBe(0);
    // A token never seen still goes through the pool (and a wrong one never matches).
    expect(await tokenMatchesKey(generateHashToken().bearerToken, apiKeyHash)).toBe(false);
    expect(flooded).toBeGreaterThan(0);
    await Promise.all(flood);
  }, 60_000);
});
