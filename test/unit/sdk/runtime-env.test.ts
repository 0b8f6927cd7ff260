/** mooseRuntimeEnv (MooseStack's): the environment at run time, a marker while infrastructure is extracted. */
import { afterEach, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { mooseRuntimeEnv } from "../../../src/sdk/index.js";
import { RUNTIME_ENV_PREFIX } from "../../../src/sdk/runtime-env.js";

afterEach(() => {
  delete process.env.IS_LOADING_INFRA_MAP;
  delete process.env.MOOSE_TEST_VALUE;
});

it("reads the variable at run time and says which one is missing", () => {
  process.env.MOOSE_TEST_VALUE = "v";
  expect(mooseRuntimeEnv.get("MOOSE_TEST_VALUE")).toBe("v");
  delete process.env.MOOSE_TEST_VALUE;
  expect(() => mooseRuntimeEnv.get("MOOSE_TEST_VALUE")).toThrow(MooseError);
  expect(() => mooseRuntimeEnv.get("MOOSE_TEST_VALUE")).toThrow(/MOOSE_TEST_VALUE is not set/);
});

it("gives a marker, never the value, while infrastructure is loaded", () => {
  process.env.MOOSE_TEST_VALUE = "secret";
  process.env.IS_LOADING_INFRA_MAP = "true";
  expect(mooseRuntimeEnv.get("MOOSE_TEST_VALUE")).toBe(`${RUNTIME_ENV_PREFIX}MOOSE_TEST_VALUE`);
});
