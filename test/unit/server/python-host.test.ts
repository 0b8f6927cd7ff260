/**
 * The moose side of a Python app's insert / send / cache calls (src/server/python-host.ts): what it
 * answers for a table, stream or request it does not know, and that an answer the pipe cannot carry
 * fails that request instead of the worker. Needs `npm run build` (the runtime is dist/sdk/runtime.js).
 */
import { describe, expect, it } from "vitest";
import { answerHostRequest, sendHostReply, type HostRequest } from "../../../src/server/python-host.js";

const nothing = { tables: {}, streams: {} };
const at = { file: "app/main.py", line: 3 };

describe("answerHostRequest", () => {
  it("answers a table, stream or request the app does not have with an error, never a throw", async () => {
    expect(await answerHostRequest({ op: "insert", table: "Gone", rows: [{}], options: {}, location: at }, nothing)).toEqual({
      ok: false,
      error: { code: "UNKNOWN_TABLE", message: "the app has no table Gone", hint: "insert into a table the app defines" },
    });
    expect(await answerHostRequest({ op: "streamSend", stream: "Gone", records: [{}], location: at }, nothing)).toMatchObject({ ok: false, error: { code: "UNKNOWN_STREAM" } });
    expect(await answerHostRequest({ op: "drop everything" } as unknown as HostRequest, nothing)).toMatchObject({
      ok: false,
      error: { code: "UNKNOWN_REQUEST", message: 'the Python SDK asked for "drop everything", which this moose does not do' },
    });
  });
});

describe("sendHostReply", () => {
  it("sends the answer, or, when it cannot be written, a failure of that request", () => {
    const sent: unknown[] = [];
    const child = {
      send(message: unknown) {
        if ((message as { ok?: boolean }).ok) throw new RangeError("Invalid string length");
        sent.push(message);
      },
    };
    sendHostReply(child, 7, { ok: true, value: "too large" });
    expect(sent).toEqual([{ type: "host-reply", query: 7, ok: false, error: { code: "HOST_REQUEST_FAILED", message: "the answer could not be sent: Invalid string length" } }]);
  });
});
