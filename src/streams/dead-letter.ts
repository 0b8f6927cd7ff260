/**
 * MooseStack's dead-letter contract: a record a process could not handle is sent to the dead-letter
 * queue stream as `{ originalRecord, errorMessage, errorType, failedAt, source }` (the SDK's
 * DeadLetterModel; errorType is the error's class name, as MooseStack writes it).
 */
import type { DeadLetterModel } from "../sdk/dead-letter.js";

/** On the wire: failedAt is an ISO 8601 string (JSON has no dates). */
export type DeadLetterMessage = Omit<DeadLetterModel, "failedAt"> & { failedAt: string };

export function deadLetter(originalRecord: unknown, error: unknown, source: DeadLetterModel["source"], now = new Date()): DeadLetterMessage {
  return {
    originalRecord: isRecord(originalRecord) ? originalRecord : { value: originalRecord },
    errorMessage: error instanceof Error ? error.message : String(error),
    errorType: error instanceof Error ? error.constructor.name : "Unknown",
    failedAt: now.toISOString(),
    source,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * `letter` as it can be sent: a record JSON cannot write again (nested deeper than JSON.stringify
 * goes, as a record refused for its depth can be) is replaced by its message's text, so that one
 * record cannot stop its process.
 */
export function sendableLetter(letter: DeadLetterMessage, messageText: string | null): DeadLetterMessage {
  try {
    JSON.stringify(letter.originalRecord);
    return letter;
  } catch {
    return { ...letter, originalRecord: { value: messageText } };
  }
}

/** A record a process cannot take: not UTF-8, not fitting the table's columns, nested too deep (errorType in its dead letter). */
export class RecordInvalidError extends Error {
  override name = "RecordInvalidError";
}
