/**
 * Every expected failure is a MooseError: a stable code, the exit code the CLI uses,
 * where it happened (model code file:line:col, or a config key), and what to do next.
 * Anything thrown that is not a MooseError is a bug and keeps its stack.
 */

export const ExitCode = {
  ok: 0,
  error: 1,
  usage: 2,
  blockedDestructive: 3,
  conflict: 4, // drift, broken migration chain, checksum mismatch
  authFailed: 5,
  changesFound: 6, // `plan --detailed-exitcode`
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface SourceLocation {
  file: string; // relative to the project root
  line: number; // 1-based
  col?: number; // 1-based
}

export interface ConfigLocation {
  key: string; // e.g. "clickhouse_config.host_port"
  file?: string;
  line?: number;
}

export interface MooseErrorOptions {
  exitCode?: ExitCode;
  location?: SourceLocation;
  config?: ConfigLocation;
  /** What the user should do about it. */
  hint?: string;
  /** Extra machine-readable facts for `--json` output. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class MooseError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly location?: SourceLocation;
  readonly config?: ConfigLocation;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, options: MooseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "MooseError";
    this.code = code;
    this.exitCode = options.exitCode ?? ExitCode.error;
    this.location = options.location;
    this.config = options.config;
    this.hint = options.hint;
    this.details = options.details;
  }

  /** One human-readable block: `file:line:col - error CODE: message` then the hint. */
  format(): string {
    const where = this.location
      ? `${this.location.file}:${this.location.line}${this.location.col ? `:${this.location.col}` : ""} - `
      : this.config
        ? `${this.config.file ? `${this.config.file}${this.config.line ? `:${this.config.line}` : ""} ` : ""}[${this.config.key}] - `
        : "";
    return `${where}error ${this.code}: ${this.message}${this.hint ? `\n  → ${this.hint}` : ""}`;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      exitCode: this.exitCode,
      ...(this.location ? { location: this.location } : {}),
      ...(this.config ? { config: this.config } : {}),
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isMooseError(error: unknown): error is MooseError {
  return error instanceof MooseError;
}
