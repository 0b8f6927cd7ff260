/** withoutPassword: a --clickhouse-url's password hidden in error messages, also when the URL does not parse. */
import { describe, expect, it } from "vitest";
import { withoutPassword } from "../../../src/infra/clickhouse/remote.js";

describe("withoutPassword", () => {
  it("masks the password of well-formed and malformed URLs", () => {
    expect(withoutPassword("http://user:secret@host:8123/db")).toBe("http://user:***@host:8123/db");
    expect(withoutPassword("http://user:se/cr@et@host:8123/a/b")).toBe("http://user:***@host:8123/a/b");
    expect(withoutPassword("ftp://user:p@ss/word@host/db")).toBe("ftp://user:***@host/db");
    // A scheme left out: the user info starts the text.
    expect(withoutPassword("user:secret@host:8123/db")).toBe("user:***@host:8123/db");
  });

  it("leaves a URL without a password, and a `@` in its query, as they are", () => {
    expect(withoutPassword("http://host:8123/db?quota_key=a@b")).toBe("http://host:8123/db?quota_key=a@b");
    expect(withoutPassword("http://user@host:8123/db")).toBe("http://user@host:8123/db");
    expect(withoutPassword("http://host:8123/db")).toBe("http://host:8123/db");
  });
});
