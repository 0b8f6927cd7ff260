/**
 * Admin authentication, interoperable with MooseStack (framework-cli `routines/auth.rs`):
 * bearer token = hex(16 random bytes) + "." + hex(16-byte salt);
 * stored key   = hex(PBKDF2-HMAC-SHA256(password = the token's hex TEXT, salt = the salt's hex TEXT,
 *                1000 iterations, 20 bytes)).
 * The server keeps only the key (`[authentication] admin_api_key`); clients send the token.
 */
import { pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const pbkdf2Async = promisify(pbkdf2);

export const TOKEN_PBKDF2 = { iterations: 1000, keyLength: 20, digest: "sha256" } as const;
const TOKEN_BYTES = 16;
const SALT_BYTES = 16;

/** A bearer token as `hash-token` prints it: 32 hex chars, a dot, 32 hex chars. */
export const BEARER_TOKEN_PATTERN = /^[0-9a-f]{32}\.[0-9a-f]{32}$/i;
/** A stored key: 20 bytes as 40 hex chars. */
export const API_KEY_HASH_PATTERN = /^[0-9a-f]{40}$/i;
/** Longer Authorization headers are refused before any parsing or hashing. */
const MAX_AUTHORIZATION_LENGTH = 256;

export interface HashToken {
  /** Goes into `[authentication] admin_api_key` (or MOOSE_AUTHENTICATION__ADMIN_API_KEY). */
  apiKeyHash: string;
  /** Goes to clients: `moose plan --token`, MOOSE_ADMIN_TOKEN, `Authorization: Bearer …`. */
  bearerToken: string;
}

export function generateHashToken(): HashToken {
  const tokenHex = randomBytes(TOKEN_BYTES).toString("hex");
  const saltHex = randomBytes(SALT_BYTES).toString("hex");
  return { apiKeyHash: deriveApiKeyHash(tokenHex, saltHex), bearerToken: `${tokenHex}.${saltHex}` };
}

/** The stored key for a token: both parts are used as their hex text, as MooseStack does. */
export function deriveApiKeyHash(tokenHex: string, saltHex: string): string {
  const { iterations, keyLength, digest } = TOKEN_PBKDF2;
  return pbkdf2Sync(tokenHex, saltHex, iterations, keyLength, digest).toString("hex");
}

export type BearerParse = { ok: true; token: string } | { ok: false; reason: string };

/**
 * The credentials of `Authorization: Bearer <credentials>`, at most `maxLength` characters of header
 * (a JWT is longer than a hash-token): anything else is refused with a reason.
 */
export function bearerCredentials(header: string | undefined, maxLength: number): BearerParse {
  if (header === undefined || header.trim() === "") return { ok: false, reason: "missing Authorization header" };
  if (header.length > maxLength) return { ok: false, reason: "Authorization header too long" };
  const match = /^(\S+)(?: +(\S+))?$/.exec(header.trim());
  if (!match) return { ok: false, reason: "malformed Authorization header" };
  const [, scheme, credentials] = match;
  if (scheme.toLowerCase() !== "bearer") return { ok: false, reason: `unsupported scheme "${scheme}" (expected Bearer)` };
  if (!credentials) return { ok: false, reason: "Bearer token missing" };
  return { ok: true, token: credentials };
}

/** `Authorization: Bearer <token>` with a token in our format; anything else is refused with a reason. */
export function parseBearerHeader(header: string | undefined): BearerParse {
  const parsed = bearerCredentials(header, MAX_AUTHORIZATION_LENGTH);
  if (parsed.ok && !BEARER_TOKEN_PATTERN.test(parsed.token)) {
    return { ok: false, reason: "malformed bearer token (expected <32 hex>.<32 hex> from `moose generate hash-token`)" };
  }
  return parsed;
}

/**
 * Tokens already found to derive each key. Deriving costs 1,000 PBKDF2 rounds on libuv's thread pool:
 * a flood of wrong tokens fills that pool, and a client with the right token would wait behind it
 * (150–260 ms instead of 5 in a test of 20,000 wrong tokens in 10 s). A token seen to match is
 * answered without deriving again; only a client that has it can make that happen.
 */
const MATCHED_TOKENS = new Map<string, Set<string>>();
/** Matched tokens kept per key: a key has a few clients, each with its own token at most. */
const MATCHED_TOKENS_PER_KEY = 32;

/**
 * Does `token` (`<32 hex>.<32 hex>`) derive `apiKeyHash` (40 hex)? The derived key and the configured
 * key are compared with timingSafeEqual on equal-length 20-byte buffers.
 */
export async function tokenMatchesKey(token: string, apiKeyHash: string): Promise<boolean> {
  if (MATCHED_TOKENS.get(apiKeyHash)?.has(token)) return true;
  const [tokenHex, saltHex] = token.split(".");
  const { iterations, keyLength, digest } = TOKEN_PBKDF2;
  const derived = await pbkdf2Async(tokenHex, saltHex, iterations, keyLength, digest);
  const expected = Buffer.from(apiKeyHash, "hex");
  const matches = derived.length === expected.length && timingSafeEqual(derived, expected);
  if (matches) {
    const matched = MATCHED_TOKENS.get(apiKeyHash) ?? new Set<string>();
    if (matched.size < MATCHED_TOKENS_PER_KEY) matched.add(token);
    MATCHED_TOKENS.set(apiKeyHash, matched);
  }
  return matches;
}

export type AdminAuthResult = { ok: true } | { ok: false; reason: string };

/**
 * Checks an Authorization header against the configured key (tokenMatchesKey).
 */
export async function verifyAdminAuthorization(header: string | undefined, apiKeyHash: string): Promise<AdminAuthResult> {
  if (apiKeyHash === "") {
    return {
      ok: false,
      reason:
        "no admin API key is configured on this server: run `moose generate hash-token`, put the key in " +
        "[authentication] admin_api_key (or MOOSE_AUTHENTICATION__ADMIN_API_KEY) and restart",
    };
  }
  if (!API_KEY_HASH_PATTERN.test(apiKeyHash)) {
    return { ok: false, reason: "the server's admin_api_key is not a 40-hex-character key from `moose generate hash-token`" };
  }
  const parsed = parseBearerHeader(header);
  if (!parsed.ok) return parsed;
  return (await tokenMatchesKey(parsed.token, apiKeyHash)) ? { ok: true } : { ok: false, reason: "invalid token" };
}
