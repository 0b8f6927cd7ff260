/**
 * mooseRuntimeEnv (MooseStack's name): values read from the environment when the app runs, not
 * when its infrastructure is extracted. While moose-ts extracts the app (`IS_LOADING_INFRA_MAP=true`,
 * set by the build's child process) `get` returns a marker; at run time it returns the variable.
 */
import { MooseError, type SourceLocation } from "../errors.js";
import { quoteString } from "../infra/clickhouse/quote.js";

export const RUNTIME_ENV_PREFIX = "__MOOSE_RUNTIME_ENV__:";

function getRuntimeEnv(envVarName: string): string {
  if (typeof envVarName !== "string" || envVarName.trim() === "") {
    throw new MooseError("RUNTIME_ENV_NAME", "mooseRuntimeEnv.get() needs an environment variable name", { hint: 'e.g. mooseRuntimeEnv.get("AWS_ACCESS_KEY_ID")' });
  }
  if (process.env.IS_LOADING_INFRA_MAP === "true") return `${RUNTIME_ENV_PREFIX}${envVarName}`;
  const value = process.env[envVarName];
  if (value === undefined) {
    throw new MooseError("RUNTIME_ENV_MISSING", `environment variable ${envVarName} is not set (read by mooseRuntimeEnv.get)`, {
      hint: `set ${envVarName} in the environment of the process running the app`,
    });
  }
  return value;
}

export const mooseRuntimeEnv: { get(envVarName: string): string } = { get: getRuntimeEnv };
/** @deprecated MooseStack's older name for mooseRuntimeEnv. */
export const mooseEnvSecrets = mooseRuntimeEnv;

/**
 * `value` as a SQL string literal of DDL moose-ts writes into migration files (engine arguments, a
 * dictionary's source): a mooseRuntimeEnv marker there would be written as the marker, so it is refused.
 */
export function ddlLiteral(value: string, subject: string, key: string, location: SourceLocation): string {
  if (value.includes(RUNTIME_ENV_PREFIX)) {
    throw new MooseError("RUNTIME_ENV_IN_DDL", `${subject} uses mooseRuntimeEnv.get() for ${key}`, {
      location,
      hint: "moose-ts writes this into migration files and cannot resolve runtime environment values there yet; pass the value another way (e.g. a ClickHouse named collection)",
    });
  }
  return quoteString(value);
}
