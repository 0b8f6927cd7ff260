/**
 * What `moose dev` prints. The CLI decides where it goes and whether it may use colour (TTY,
 * NO_COLOR); everything here only formats.
 */
import { isMooseError } from "../errors.js";

export interface DevOutput {
  /** Progress and plans (stdout). */
  info(text: string): void;
  /** Problems (stderr). */
  error(text: string): void;
  color: boolean;
  /** Show stack traces of MooseErrors too (`--debug`). */
  debug?: boolean;
  /** How long work shows progress: bars on a terminal, milestone lines elsewhere (default). */
  progress?: "bar" | "lines" | "silent";
}

const ANSI = { red: "\u001b[31m", green: "\u001b[32m", yellow: "\u001b[33m", dim: "\u001b[2m", reset: "\u001b[0m" };

export function paint(output: DevOutput, style: Exclude<keyof typeof ANSI, "reset">, text: string): string {
  return output.color ? `${ANSI[style]}${text}${ANSI.reset}` : text;
}

/**
 * `text` with its control characters (but line breaks and tabs) written as `\x1b`: text a request
 * chose (a path, an error quoting a parameter) must not move the cursor or restyle the terminal.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (character) => `\\x${character.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** How much of a payload `--log-payloads` shows: enough to recognise a record, not a screen of one batch. */
const PAYLOAD_CHARACTERS = 1000;

/** A record (or a request's records) as one printable line of JSON, cut after PAYLOAD_CHARACTERS. */
export function payloadText(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  const cut = text.length > PAYLOAD_CHARACTERS ? `${text.slice(0, PAYLOAD_CHARACTERS)}… (${text.length - PAYLOAD_CHARACTERS} more characters)` : text;
  return printable(cut).replace(/[\n\t]/g, " ");
}

/** The local time of day, `hh:mm:ss` (with `.mmm` for "milliseconds"). */
export function clock(date: Date = new Date(), precision: "seconds" | "milliseconds" = "seconds"): string {
  const seconds = date.toTimeString().slice(0, 8);
  return precision === "seconds" ? seconds : `${seconds}.${String(date.getMilliseconds()).padStart(3, "0")}`;
}

export function plural(count: number, word: string, words = `${word}s`): string {
  return `${count} ${count === 1 ? word : words}`;
}

/** A MooseError as `file:line:col - error CODE: message` + hint; anything else is a bug: its stack. */
export function describeError(error: unknown, debug = false): string {
  if (isMooseError(error)) return debug && error.stack ? `${error.format()}\n${error.stack}` : error.format();
  return `internal error (a bug in moose-ts): ${(error as Error)?.stack ?? String(error)}`;
}
