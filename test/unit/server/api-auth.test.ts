/**
 * Who may call /ingest and /api (src/server/api-auth.ts): API keys from the environment, JWTs
 * checked against `[jwt]`, and the attacks on JWT checks that libraries have fallen to (alg "none",
 * an HMAC token keyed with the public key, claims edited after signing).
 */
import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, type Config } from "../../../src/config/types.js";
import { apiAuthFrom, checkCaller, openWebAppsWarning, rowPolicyAuth, webAppAuth, type EndpointAuth } from "../../../src/server/api-auth.js";
import { generateHashToken } from "../../../src/server/auth.js";

const signer = generateKeyPairSync("rsa", { modulusLength: 2048 });
const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PUBLIC_PEM = signer.publicKey.export({ type: "spki", format: "pem" }).toString();
const ISSUER = "https://auth.example.com/";
const AUDIENCE = "moose-app";
const jwtCheck = { key: createPublicKey(PUBLIC_PEM), issuer: ISSUER, audience: AUDIENCE };
const { bearerToken, apiKeyHash } = generateHashToken();

async function token(claims: Record<string, unknown> = {}, options: { key?: KeyObject; issuer?: string; audience?: string; expires?: string | number; notBefore?: string | number } = {}): Promise<string> {
  let jwt = new SignJWT({ org_id: "acme", ...claims })
    .setProtectedHeader({ alg: "RS256" })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expires ?? "10m");
  if (options.notBefore !== undefined) jwt = jwt.setNotBefore(options.notBefore);
  return jwt.sign(options.key ?? signer.privateKey);
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const bearer = (credentials: string) => `Bearer ${credentials}`;

function config(jwt: Partial<Config["jwt"]>): Config {
  return { ...DEFAULT_CONFIG, jwt: { ...DEFAULT_CONFIG.jwt, ...jwt } };
}

describe("checkCaller", () => {
  const open: EndpointAuth = { enforceJwt: false };
  const withKey: EndpointAuth = { apiKeyHash, enforceJwt: false };
  const keyOrJwt: EndpointAuth = { apiKeyHash, jwt: jwtCheck, enforceJwt: false };
  const jwtOnly: EndpointAuth = { apiKeyHash, jwt: jwtCheck, enforceJwt: true };
  const openWithJwt: EndpointAuth = { jwt: jwtCheck, enforceJwt: false };

  it("an open endpoint lets anyone in; a valid JWT still gives its claims, an invalid one none", async () => {
    expect(await checkCaller(undefined, open)).toEqual({ ok: true });
    expect(await checkCaller("Basic abc", open)).toEqual({ ok: true });
    expect(await checkCaller(bearer(await token()), openWithJwt)).toMatchObject({ ok: true, jwt: { org_id: "acme", iss: ISSUER } });
    // Let in as anonymous, as MooseStack does (an app with row policies asks for a JWT: rowPolicyAuth).
    expect(await checkCaller(bearer(await token({}, { key: stranger.privateKey })), openWithJwt)).toEqual({ ok: true });
    expect(await checkCaller("Bearer xxx", openWithJwt)).toEqual({ ok: true });
  });

  it("an API key: its token in, anything else out with the reason", async () => {
    expect(await checkCaller(bearer(bearerToken), withKey)).toEqual({ ok: true });
    expect(await checkCaller(undefined, withKey)).toEqual({ ok: false, reason: "missing Authorization header" });
    expect(await checkCaller(bearer(generateHashToken().bearerToken), withKey)).toEqual({ ok: false, reason: "invalid token" });
    expect(await checkCaller(`Basic ${bearerToken}`, withKey)).toMatchObject({ ok: false, reason: expect.stringContaining("expected Bearer") });
    // The key itself is not a token.
    expect(await checkCaller(bearer(apiKeyHash), withKey)).toEqual({ ok: false, reason: "invalid token" });
    expect(await checkCaller(bearer("x".repeat(20_000)), withKey)).toEqual({ ok: false, reason: "Authorization header too long" });
  });

  it("with a JWT configured and not enforced, a valid JWT is accepted where the API key is asked for", async () => {
    expect(await checkCaller(bearer(bearerToken), keyOrJwt)).toEqual({ ok: true });
    expect(await checkCaller(bearer(await token({ tier: "gold" })), keyOrJwt)).toMatchObject({ ok: true, jwt: { tier: "gold", aud: AUDIENCE } });
    expect(await checkCaller(bearer(await token({}, { key: stranger.privateKey })), keyOrJwt)).toMatchObject({ ok: false, reason: expect.stringContaining("invalid JWT") });
  });

  it("enforced: only a valid JWT; the API key's token, expired, early, foreign or edited tokens are refused", async () => {
    expect(await checkCaller(bearer(await token()), jwtOnly)).toMatchObject({ ok: true, jwt: { org_id: "acme" } });
    expect(await checkCaller(bearer(bearerToken), jwtOnly)).toMatchObject({ ok: false, reason: expect.stringContaining("invalid JWT") });
    expect(await checkCaller(undefined, jwtOnly)).toEqual({ ok: false, reason: "missing Authorization header" });
    const refused = async (credentials: string) => expect(await checkCaller(bearer(credentials), jwtOnly)).toMatchObject({ ok: false, reason: expect.stringMatching(/^invalid JWT: /) });
    await refused(await token({}, { expires: Math.floor(Date.now() / 1000) - 60 }));
    await refused(await token({}, { notBefore: Math.floor(Date.now() / 1000) + 600 }));
    await refused(await token({}, { issuer: "https://evil.example.com/" }));
    await refused(await token({}, { audience: "another-app" }));
    // A token that never expires.
    await refused(await new SignJWT({ org_id: "acme" }).setProtectedHeader({ alg: "RS256" }).setIssuer(ISSUER).setAudience(AUDIENCE).sign(signer.privateKey));
    await refused(await token({}, { key: stranger.privateKey }));
    // Claims edited after signing: the signature no longer matches.
    const [header, , signature] = (await token()).split(".");
    await refused(`${header}.${base64url({ org_id: "other", iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })}.${signature}`);
    // alg "none": no signature at all.
    await refused(`${base64url({ alg: "none", typ: "JWT" })}.${base64url({ org_id: "acme", iss: ISSUER, aud: AUDIENCE })}.`);
    // HS256 keyed with the public key's PEM text (the classic algorithm confusion).
    const unsigned = `${base64url({ alg: "HS256", typ: "JWT" })}.${base64url({ org_id: "acme", iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })}`;
    await refused(`${unsigned}.${createHmac("sha256", PUBLIC_PEM).update(unsigned).digest("base64url")}`);
    await refused("not.a.jwt");
  });
});

describe("the rules of an app with row policies, and of WebApps", () => {
  it("row policies: only a valid JWT, whatever the endpoint took before; none configured: nobody", async () => {
    for (const auth of [{ apiKeyHash, jwt: jwtCheck, enforceJwt: false }, { jwt: jwtCheck, enforceJwt: false }]) {
      const rules = rowPolicyAuth(auth)!;
      expect(await checkCaller(bearer(await token()), rules)).toMatchObject({ ok: true, jwt: { org_id: "acme" } });
      expect(await checkCaller(undefined, rules)).toMatchObject({ ok: false });
      expect(await checkCaller(bearer(bearerToken), rules)).toMatchObject({ ok: false, reason: expect.stringMatching(/^invalid JWT/) });
      expect(await checkCaller(bearer(await token({}, { key: stranger.privateKey })), rules)).toMatchObject({ ok: false });
    }
    expect(rowPolicyAuth({ apiKeyHash, enforceJwt: false })).toBeUndefined();
  });

  it("WebApps: the JWT rules without the API key", async () => {
    expect(webAppAuth({ apiKeyHash, jwt: jwtCheck, enforceJwt: true })).toEqual({ jwt: jwtCheck, enforceJwt: true });
    expect(await checkCaller(undefined, webAppAuth({ apiKeyHash, enforceJwt: false }))).toEqual({ ok: true });
  });
});

describe("apiAuthFrom", () => {
  it("reads MOOSE_INGEST_API_KEY / MOOSE_CONSUMPTION_API_KEY and [jwt]", () => {
    const auth = apiAuthFrom(config({ secret: PUBLIC_PEM, issuer: ISSUER, audience: AUDIENCE, enforce_on_all_consumptions_apis: true }), { MOOSE_INGEST_API_KEY: apiKeyHash });
    expect(auth.ingest).toMatchObject({ apiKeyHash, enforceJwt: false, jwt: { issuer: ISSUER, audience: AUDIENCE } });
    expect(auth.consumption).toMatchObject({ enforceJwt: true, jwt: { issuer: ISSUER } });
    expect(auth.consumption.apiKeyHash).toBeUndefined();
    expect(apiAuthFrom(DEFAULT_CONFIG, {})).toEqual({ ingest: { enforceJwt: false }, consumption: { enforceJwt: false } });
  });

  it("refuses a key that is not a key hash (the bearer token, say) without repeating it", () => {
    let caught: unknown;
    try {
      apiAuthFrom(DEFAULT_CONFIG, { MOOSE_CONSUMPTION_API_KEY: bearerToken });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: "API_KEY_INVALID", details: { env: "MOOSE_CONSUMPTION_API_KEY" } });
    expect(JSON.stringify(caught)).not.toContain(bearerToken);
    expect(String((caught as Error).message)).not.toContain(bearerToken);
  });
});

describe("openWebAppsWarning", () => {
  const { apiKeyHash } = generateHashToken();

  it("names the WebApps a consumption API key leaves open, unless a JWT is enforced on them", () => {
    expect(openWebAppsWarning({ apiKeyHash, enforceJwt: false }, ["/reports", "/admin-ui"])).toBe(
      "MOOSE_CONSUMPTION_API_KEY guards /api only: the WebApps at /admin-ui, /reports answer requests without it (as in MooseStack); guard them in the app, or with [jwt] and enforce_on_all_consumptions_apis",
    );
    expect(openWebAppsWarning({ apiKeyHash, jwt: jwtCheck, enforceJwt: false }, ["/reports"])).toContain("/reports");
    expect(openWebAppsWarning({ apiKeyHash, jwt: jwtCheck, enforceJwt: true }, ["/reports"])).toBeUndefined();
  });

  it("says nothing without a key (nothing was promised) or without WebApps", () => {
    expect(openWebAppsWarning({ enforceJwt: false }, ["/reports"])).toBeUndefined();
    expect(openWebAppsWarning({ apiKeyHash, enforceJwt: false }, [])).toBeUndefined();
  });
});
