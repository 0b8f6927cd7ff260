/** An identity provider for tests: an RSA key pair, the `[jwt]` environment that trusts it, and tokens it signs. */
import { generateKeyPairSync } from "node:crypto";
import { SignJWT, type JWTPayload } from "jose";

export interface TestIssuer {
  privateKey: ReturnType<typeof generateKeyPairSync>["privateKey"];
  /** MooseStack's variables for `[jwt]`: the public key, issuer and audience. */
  env: { MOOSE_JWT_PUBLIC_KEY: string; MOOSE_JWT_ISSUER: string; MOOSE_JWT_AUDIENCE: string };
  /** An RS256 token with these claims, the issuer's `iss` and `aud`, expiring in five minutes. */
  sign(claims: JWTPayload): Promise<string>;
}

export function testIssuer(issuer = "https://auth.example.com/", audience = "quickstart"): TestIssuer {
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privateKey: keys.privateKey,
    env: { MOOSE_JWT_PUBLIC_KEY: keys.publicKey.export({ type: "spki", format: "pem" }).toString(), MOOSE_JWT_ISSUER: issuer, MOOSE_JWT_AUDIENCE: audience },
    sign: (claims) => new SignJWT(claims).setProtectedHeader({ alg: "RS256" }).setIssuer(issuer).setAudience(audience).setExpirationTime("5m").sign(keys.privateKey),
  };
}
