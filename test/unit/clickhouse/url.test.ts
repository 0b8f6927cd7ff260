/** A --clickhouse-url read (parseClickHouseUrl), and its password hidden in error messages (withoutPassword). */
import { describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { parseClickHouseUrl, withoutPassword } from "../../../src/infra/clickhouse/url.js";

describe("parseClickHouseUrl", () => {
  it("reads host, port, credentials, the database in the path, and the other query parameters as settings", () => {
    expect(parseClickHouseUrl("https://ada:s%40cret@ch.example.com/analytics?distributed_ddl_task_timeout=30")).toMatchObject({
      url: "https://ch.example.com",
      port: 8443,
      user: "ada",
      password: "s@cret",
      database: "analytics",
      settings: { distributed_ddl_task_timeout: "30" },
    });
    expect(parseClickHouseUrl("http://localhost:8123")).toMatchObject({ port: 8123, user: "default", password: "", database: "default", settings: {} });
  });

  it("takes the database from ?database= (MooseStack's form), which is no setting", () => {
    const endpoint = parseClickHouseUrl("https://explorer:@play.example.com:443/?database=local&max_threads=2");
    expect(endpoint.database).toBe("local");
    expect(endpoint.settings).toEqual({ max_threads: "2" });
    expect(parseClickHouseUrl("http://localhost:8123/local?database=local").database).toBe("local");
  });

  it("takes the login from ?user= and ?password= (MooseStack's db pull form), which are no settings and never shown", () => {
    expect(parseClickHouseUrl("http://localhost:8123/?user=panda&password=p%40ss&database=local")).toMatchObject({ user: "panda", password: "p@ss", database: "local", settings: {} });
    expect(withoutPassword("http://localhost:8123/?user=panda&password=secret&database=local")).toBe("http://localhost:8123/?user=panda&password=***&database=local");
  });

  it("reads a clickhouse:// native URL as the same server's HTTP(S) URL: 9440 → https 8443, 9000 → http 8123", () => {
    expect(parseClickHouseUrl("clickhouse://explorer@play.example.com:9440/default")).toMatchObject({ url: "https://play.example.com:8443", port: 8443, user: "explorer", database: "default" });
    expect(parseClickHouseUrl("clickhouse://u:pw@localhost:9000/local")).toMatchObject({ url: "http://localhost:8123", user: "u", password: "pw", database: "local" });
    expect(() => parseClickHouseUrl("clickhouse://u:pw@localhost:9999/local")).toThrow(/port 9999 of a clickhouse:\/\/ URL/);
  });

  it("refuses a URL naming two different databases, and one with a longer path", () => {
    for (const [text, why] of [
      ["http://u:pw@localhost:8123/local?database=prod", "two databases, local (the path) and prod (?database=)"],
      ["http://localhost:8123/a/b", "the path must be just the database name"],
      ["http://u:pw@localhost:8123/local?user=other&password=pw2", "it gives the user twice"],
    ] as const) {
      let caught: unknown;
      try {
        parseClickHouseUrl(text);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(MooseError);
      expect((caught as MooseError).code).toBe("CLICKHOUSE_BAD_URL");
      expect((caught as MooseError).message).toContain(why);
      expect((caught as MooseError).message).not.toContain("pw@");
    }
  });
});

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
