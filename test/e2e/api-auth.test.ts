/**
 * The app's endpoints behind MooseStack's authentication, through the built CLI (`moose dev` on a
 * copy of the quickstart): MOOSE_INGEST_API_KEY asks /ingest for a hash-token's bearer token (or a
 * valid JWT), `[jwt] enforce_on_all_consumptions_apis` asks /api for a valid JWT, whose claims the
 * API's handler reads from `utils.jwt`. Refusals are 401s that say why and nothing else.
 */
import { generateKeyPairSync } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateHashToken } from "../../src/server/auth.js";
import { testIssuer } from "../helpers/jwt.js";
import { clickhouse, copyQuickstart, DevProcess, devEnv, freePorts, rows, DEV_TEST_TIMEOUT_MS, type DevPorts, type TestProject } from "./dev-process.js";

const issuer = testIssuer();
const { MOOSE_JWT_ISSUER: ISSUER, MOOSE_JWT_AUDIENCE: AUDIENCE } = issuer.env;
const ingestKey = generateHashToken();

const APP_ADDITIONS = `
import { Api, IngestPipeline } from "moose-ts";

interface Signup {
  id: string;
  plan: string;
}

export const signups = new IngestPipeline<Signup>("Signups", { table: true, stream: true, ingestApi: true });

interface WhoAmIParams {
  verbose?: boolean;
}

export const whoAmI = new Api<WhoAmIParams, { org: unknown; subject: unknown }>("whoami", async (_params, utils) => ({
  org: utils.jwt?.org_id ?? null,
  subject: utils.jwt?.sub ?? null,
}));
`;

function jwt(claims: Record<string, unknown>, expires: string | number = "5m"): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256" }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject("user-7").setExpirationTime(expires).sign(issuer.privateKey);
}

describe("API authentication (moose dev)", () => {
  let project: TestProject;
  let ports: DevPorts;
  let dev: DevProcess;

  const ingest = (authorization?: string) =>
    fetch(`http://localhost:${ports.api}/ingest/Signups`, { method: "POST", body: JSON.stringify({ id: "s1", plan: "pro" }), headers: authorization ? { authorization } : {} });
  const whoami = (authorization?: string) => fetch(`http://localhost:${ports.api}/api/whoami`, { headers: authorization ? { authorization } : {} });

  beforeAll(async () => {
    project = copyQuickstart();
    await project.write("app/index.ts", (await project.read("app/index.ts")) + APP_ADDITIONS);
    ports = await freePorts();
    dev = new DevProcess(
      project,
      devEnv(ports, {
        MOOSE_FEATURES__STREAMING_ENGINE: "false",
        MOOSE_INGEST_API_KEY: ingestKey.apiKeyHash,
        ...issuer.env,
        MOOSE_JWT__ENFORCE_ON_ALL_CONSUMPTIONS_APIS: "true",
      }),
    );
    await dev.ready();
  }, DEV_TEST_TIMEOUT_MS);

  afterAll(async () => {
    await dev?.stop();
    project?.remove();
  });

  it("ingest with MOOSE_INGEST_API_KEY: 401 without the token or with another, 200 with it or with a valid JWT", async () => {
    const missing = await ingest();
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe("Bearer");
    expect(await missing.json()).toEqual({ error: "Unauthorized: missing Authorization header" });
    expect((await ingest(`Bearer ${generateHashToken().bearerToken}`)).status).toBe(401);
    expect((await ingest(`Bearer ${ingestKey.apiKeyHash}`)).status).toBe(401);
    expect((await ingest(`Bearer ${ingestKey.bearerToken}`)).status).toBe(200);
    expect((await ingest(`Bearer ${await jwt({ org_id: "acme" })}`)).status).toBe(200);
    const client = clickhouse(ports);
    try {
      expect(await rows(client, "SELECT count() AS n FROM Signups")).toEqual([{ n: "2" }]);
    } finally {
      await client.close();
    }
  });

  it("consumption with JWTs enforced: the handler sees the claims; no token, the API key's token, an expired or forged JWT get 401", async () => {
    const ok = await whoami(`Bearer ${await jwt({ org_id: "acme" })}`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ org: "acme", subject: "user-7" });
    expect((await whoami()).status).toBe(401);
    expect((await whoami(`Bearer ${ingestKey.bearerToken}`)).status).toBe(401);
    const expired = await whoami(`Bearer ${await jwt({ org_id: "acme" }, Math.floor(Date.now() / 1000) - 60)}`);
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: string }).error).toMatch(/^Unauthorized: invalid JWT: .*"exp"/);
    const forged = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const foreign = await new SignJWT({ org_id: "acme" }).setProtectedHeader({ alg: "RS256" }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime("5m").sign(forged.privateKey);
    expect((await whoami(`Bearer ${foreign}`)).status).toBe(401);
    // A browser's preflight needs no credentials.
    expect((await fetch(`http://localhost:${ports.api}/api/whoami`, { method: "OPTIONS" })).status).toBe(204);
  });
});
