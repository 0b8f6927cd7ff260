/** The MooseError a call is expected to reject with (the test fails when it resolves or throws something else). */
import { expect } from "vitest";
import { MooseError } from "../../src/errors.js";

export async function refusal(run: Promise<unknown>): Promise<MooseError> {
  const error = await run.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MooseError);
  return error as MooseError;
}
