/**
 * Who may call the app's endpoints (`/ingest/*`, `/api/*`), as MooseStack's server decides it
 * (docs/server.md, "API authentication"):
 *
 * - API keys: MOOSE_INGEST_API_KEY / MOOSE_CONSUMPTION_API_KEY hold a key from `moose generate
 *   hash-token` (./auth.ts); the endpoints then need `Authorization: Bearer <its token>`.
 * - JWT: `[jwt] secret` (a PEM RSA public key; RS256), `issuer` and `audience`. A token signed
 *   with the matching private key, with that `iss` and `aud`, an `exp` not passed and no `nbf` still
 *   to come, is accepted where an API key is asked for, and its claims reach the API's handler
 *   (`utils.jwt`).
 *   `enforce_on_all_ingest_apis` / `enforce_on_all_consumptions_apis` make such a token the only
 *   way in.
 *
 * With neither, an endpoint is open (a valid JWT still gives its claims to the handler).
 *
 * An app with row policies (SelectRowPolicy) takes only a valid JWT at `/api/*` and its WebApps, as
 * MooseStack 0.6's server does: the token's claims choose the rows, so an API key's token or no
 * token would read every row (rowPolicyAuth). WebApps' callers are checked for a JWT only
 * (webAppAuth): API keys guard `/ingest` and `/api`, as in MooseStack.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { MooseError } from "../errors.js";
import type { Config } from "../config/types.js";
import { API_KEY_HASH_PATTERN, BEARER_TOKEN_PATTERN, bearerCredentials, tokenMatchesKey } from "./auth.js";

export const INGEST_API_KEY_ENV = "MOOSE_INGEST_API_KEY";
export const CONSUMPTION_API_KEY_ENV = "MOOSE_CONSUMPTION_API_KEY";

/** A JWT is a few hundred bytes to a few KB; longer headers are refused before any parsing. */
const MAX_AUTHORIZATION_LENGTH = 16 * 1024;
/** Clock skew allowed on `exp` and `nbf`. */
const CLOCK_TOLERANCE_SECONDS = 5;

export interface JwtCheck {
  key: KeyObject;
  issuer: string;
  audience: string;
}

/** What one kind of endpoint asks of its callers. */
export interface EndpointAuth {
  /** A key from `moose generate hash-token`: its token is accepted. */
  apiKeyHash?: string;
  jwt?: JwtCheck;
  /** Only a valid JWT is accepted. */
  enforceJwt: boolean;
}

export interface ApiAuth {
  ingest: EndpointAuth;
  consumption: EndpointAuth;
}

/** Who called an endpoint, as far as the server knows: the claims of its valid JWT, if it sent one. */
export interface Caller {
  jwt?: Record<string, unknown>;
}

/** Whether a caller is let in, and who it is. */
export type CallerCheck = ({ ok: true } & Caller) | { ok: false; reason: string };

/** The endpoints' rules from the config (`[jwt]`, checked by the loader) and the environment's API keys. */
export function apiAuthFrom(config: Config, env: NodeJS.ProcessEnv = process.env): ApiAuth {
  const jwt: JwtCheck | undefined =
    config.jwt.secret.trim() === "" ? undefined : { key: createPublicKey(config.jwt.secret), issuer: config.jwt.issuer, audience: config.jwt.audience };
  return {
    ingest: { ...apiKeyFrom(env, INGEST_API_KEY_ENV), ...(jwt ? { jwt } : {}), enforceJwt: config.jwt.enforce_on_all_ingest_apis },
    consumption: { ...apiKeyFrom(env, CONSUMPTION_API_KEY_ENV), ...(jwt ? { jwt } : {}), enforceJwt: config.jwt.enforce_on_all_consumptions_apis },
  };
}

/**
 * As in MooseStack, the consumption API key guards /api only: a WebApp answers whoever asks unless a
 * JWT is enforced. An operator who set the key may think otherwise, so `moose prod` says so.
 */
export function openWebAppsWarning(consumption: EndpointAuth, webAppPaths: string[]): string | undefined {
  if (consumption.apiKeyHash === undefined || webAppPaths.length === 0 || (consumption.jwt !== undefined && consumption.enforceJwt)) return undefined;
  return (
    `${CONSUMPTION_API_KEY_ENV} guards /api only: the WebApps at ${[...webAppPaths].sort().join(", ")} answer requests without it (as in MooseStack); ` +
    "guard them in the app, or with [jwt] and enforce_on_all_consumptions_apis"
  );
}

function apiKeyFrom(env: NodeJS.ProcessEnv, variable: string): { apiKeyHash?: string } {
  const value = env[variable]?.trim();
  if (!value) return {};
  if (!API_KEY_HASH_PATTERN.test(value)) {
    // Refusing to start beats serving the endpoints open because of a typo in the key.
    throw new MooseError("API_KEY_INVALID", `environment variable ${variable} is not a key hash from \`moose generate hash-token\` (40 hex characters; it has ${value.length} characters)`, {
      hint: `run \`moose generate hash-token\`, set ${variable} to the printed API key hash (not the bearer token) and give the bearer token to the clients`,
      details: { env: variable },
    });
  }
  return { apiKeyHash: value };
}

/** Whether the request's Authorization header lets it through `auth`. */
export async function checkCaller(header: string | undefined, auth: EndpointAuth): Promise<CallerCheck> {
  const open = auth.apiKeyHash === undefined && !auth.enforceJwt;
  const credentials = bearerCredentials(header, MAX_AUTHORIZATION_LENGTH);
  if (!credentials.ok) return open ? { ok: true } : credentials;
  const { token } = credentials;
  if (!auth.enforceJwt && auth.apiKeyHash !== undefined && BEARER_TOKEN_PATTERN.test(token)) {
    return (await tokenMatchesKey(token, auth.apiKeyHash)) ? { ok: true } : { ok: false, reason: "invalid token" };
  }
  if (auth.jwt) {
    const claims = await verifiedClaims(token, auth.jwt);
    // An open endpoint lets a token that is not a valid JWT in unauthenticated, as MooseStack does.
    return claims.ok || !open ? claims : { ok: true };
  }
  if (open) return { ok: true };
  return { ok: false, reason: auth.enforceJwt ? "a valid JWT is required" : "invalid token" };
}

/** Why every `/api` and WebApp request of an app with row policies is refused while no JWT is configured (403). */
export const ROW_POLICIES_NEED_JWT = "Forbidden: the app's row policies need JWT authentication: set [jwt] secret, issuer and audience in moose.config.toml";

/** What an app with row policies asks of `/api` and WebApp callers: a valid JWT; undefined when none can be checked. */
export function rowPolicyAuth(auth: EndpointAuth): EndpointAuth | undefined {
  return auth.jwt ? { jwt: auth.jwt, enforceJwt: true } : undefined;
}

/** What a WebApp's caller is asked: the consumption APIs' JWT rules, without their API key. */
export function webAppAuth(auth: EndpointAuth): EndpointAuth {
  return { ...(auth.jwt ? { jwt: auth.jwt } : {}), enforceJwt: auth.enforceJwt };
}

async function verifiedClaims(token: string, check: JwtCheck): Promise<CallerCheck> {
  // Loaded with the first token (≈ 30 ms): most apps configure no JWT.
  const { jwtVerify } = await import("jose");
  try {
    const { payload } = await jwtVerify(token, check.key, {
      algorithms: ["RS256"],
      issuer: check.issuer,
      audience: check.audience,
      // As MooseStack (and jsonwebtoken's defaults): a token without an expiry is not accepted.
      requiredClaims: ["exp"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    return { ok: true, jwt: payload as Record<string, unknown> };
  } catch (error) {
    // jose's messages name the failed check (`"exp" claim timestamp check failed`), never the token.
    return { ok: false, reason: `invalid JWT: ${(error as Error).message}` };
  }
}
