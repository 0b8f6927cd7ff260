/**
 * MooseStack's request validation for query handlers: typia's validation results turned into a
 * `BadRequestError`, which an Api handler may throw to answer 400 with the fields at fault
 * (src/server/consumption.ts) instead of a 500.
 */

/** What typia's `validate`/`http.createValidateQuery` return (structurally; moose-ts does not depend on typia). */
export type ValidationResult<T> = { success: true; data: T } | { success: false; errors: ReadonlyArray<{ path: string; expected: string; value?: unknown }> };

/** One field at fault, as a client form shows it. */
export interface ValidationError {
  path: string;
  message: string;
  expected: string;
  received: string;
}

export class BadRequestError extends Error {
  readonly errors: ValidationError[];

  constructor(problems: ReadonlyArray<{ path: string; expected: string; value?: unknown }>) {
    super("Validation failed");
    this.name = "BadRequestError";
    this.errors = problems.map((problem) => ({
      path: problem.path,
      message: `Expected ${problem.expected}`,
      expected: problem.expected,
      received: problem.value === undefined ? "undefined" : String(problem.value),
    }));
  }

  toJSON(): { error: string; details: ValidationError[] } {
    return { error: this.message, details: this.errors };
  }
}

/** The validated value, or a BadRequestError naming every field at fault. */
export function assertValid<T>(result: ValidationResult<T>): T {
  if (!result.success) throw new BadRequestError(result.errors);
  return result.data;
}

export interface QueryHandler<P, R> {
  run: (params: P) => Promise<R>;
  fromObject: (input: unknown) => Promise<R>;
  fromUrl: (url: string | URL) => Promise<R>;
}

/** A query function reachable with checked params, from an object (a JSON body) or from a URL's query string. */
export function createQueryHandler<P, R>(config: {
  fromUrl: (input: string | URLSearchParams) => ValidationResult<P>;
  fromObject: (input: unknown) => ValidationResult<P>;
  queryFn: (params: P) => Promise<R>;
}): QueryHandler<P, R> {
  return {
    run: config.queryFn,
    fromObject: async (input) => config.queryFn(assertValid(config.fromObject(input))),
    fromUrl: async (url) => config.queryFn(assertValid(config.fromUrl((typeof url === "string" ? new URL(url, "http://localhost") : url).searchParams))),
  };
}
