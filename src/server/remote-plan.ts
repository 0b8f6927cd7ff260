/**
 * The client side of the admin API: what `moose plan --url` uses to read the state a running
 * production server has applied. Every failure is a MooseError naming the URL (without credentials):
 * 401/403 → exit 5 pointing at `moose generate hash-token`; unreachable or timed out → exit 1.
 */
import { ExitCode, MooseError } from "../errors.js";
import { fromStoredManifest, type Manifest, type StoredManifest } from "../manifest/index.js";
import { redactString } from "../logs/redact.js";
import { manifestProblem } from "./manifest-body.js";

export const DEFAULT_REMOTE_TIMEOUT_MS = 30_000;
/** The environment variable `moose plan --url` reads the bearer token from when --token is absent. */
export const ADMIN_TOKEN_ENV = "MOOSE_ADMIN_TOKEN";

export interface RemoteOptions {
  /** Bearer token from `moose generate hash-token`; absent → the request goes without credentials. */
  token?: string;
  timeoutMs?: number;
}

/** `GET <url>/admin/inframap`: the manifest the server has applied (empty when nothing was applied yet). */
export async function fetchRemoteInframap(baseUrl: string, options: RemoteOptions = {}): Promise<Manifest> {
  const endpoint = adminEndpoint(baseUrl, "inframap");
  const body = await requestJson(endpoint, { method: "GET" }, options);
  const problem = manifestProblem(body);
  if (problem) {
    throw new MooseError("REMOTE_BAD_RESPONSE", `${displayUrl(endpoint)} did not return a moose-ts manifest: ${problem}`, {
      hint: "check that the URL points at a moose-ts server (`moose prod`) of a compatible version",
      details: { url: displayUrl(endpoint) },
    });
  }
  return fromStoredManifest(body as StoredManifest);
}

/** Resolves `/admin/<name>` against the server's base URL, keeping any path prefix (`https://host/moose`). */
export function adminEndpoint(baseUrl: string, name: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new MooseError("REMOTE_URL_INVALID", `--url ${JSON.stringify(baseUrl)} is not a URL`, {
      exitCode: ExitCode.usage,
      hint: "give the server's base URL, e.g. --url https://moose.example.com",
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new MooseError("REMOTE_URL_INVALID", `--url must be http:// or https://, got ${url.protocol}`, {
      exitCode: ExitCode.usage,
      hint: "give the server's base URL, e.g. --url https://moose.example.com",
    });
  }
  if (url.username !== "" || url.password !== "") {
    throw new MooseError("REMOTE_URL_INVALID", `--url must not contain credentials (${displayUrl(url)})`, {
      exitCode: ExitCode.usage,
      hint: "the admin API authenticates with a bearer token: pass it with --token or MOOSE_ADMIN_TOKEN",
    });
  }
  const base = url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/`;
  return new URL(`${base}admin/${name}`, url);
}

/** No token from `hash-token` is longer; servers answer oversized headers with 431, not 401. */
const MAX_TOKEN_LENGTH = 1024;
/**
 * A moose server answers with a manifest or a plan (it takes manifests of at most 10 MiB); an answer
 * far larger is not one, and is not read into memory to the end.
 */
export const MAX_REPLY_BYTES = 64 * 1024 * 1024;

async function requestJson(endpoint: URL, init: RequestInit, options: RemoteOptions): Promise<unknown> {
  if (options.token !== undefined && (options.token.length > MAX_TOKEN_LENGTH || !/^[\x20-\x7e]*$/.test(options.token))) {
    // Not sendable as a header at all: refused here, as the server would refuse it.
    throw new MooseError("REMOTE_AUTH_FAILED", "the bearer token is not a token from `moose generate hash-token` (too long, or not printable ASCII)", {
      exitCode: ExitCode.authFailed,
      hint: "pass the bearer token `moose generate hash-token` printed (<32 hex>.<32 hex>) with --token or MOOSE_ADMIN_TOKEN",
    });
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS;
  const headers = new Headers(init.headers);
  headers.set("accept", "application/json");
  if (options.token !== undefined && options.token !== "") headers.set("authorization", `Bearer ${options.token}`);
  const where = displayUrl(endpoint);
  let response: Response;
  let text: string;
  // Not AbortSignal.timeout: Node keeps that signal's timer only while the signal lives, and a garbage
  // collection during a slow body dropped it. This timer is held until the reply is read.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError")), timeoutMs);
  try {
    response = await fetch(endpoint, { ...init, headers, signal: deadline.signal, redirect: "error" });
    // The timeout covers the body too: a server that stalls, drips or drops the connection half-way is reported as one that does not answer.
    text = await replyText(response, where, deadline.signal);
  } catch (error) {
    if (error instanceof MooseError) throw error;
    if ((error as Error).name === "TimeoutError") {
      throw new MooseError("REMOTE_TIMEOUT", `${where} did not answer within ${timeoutMs / 1000} s`, {
        hint: "check that the server is running and reachable from here (network, firewall, VPN)",
        details: { url: where, timeoutMs },
        cause: error,
      });
    }
    throw new MooseError("REMOTE_UNREACHABLE", `cannot reach ${where}: ${networkReason(error)}`, {
      hint: "check the URL and that the moose server is running (`moose prod`) and reachable from here",
      details: { url: where },
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
  if (response.status === 401 || response.status === 403) {
    throw new MooseError("REMOTE_AUTH_FAILED", `${where} refused the request (${response.status}): ${serverMessage(text)}`, {
      exitCode: ExitCode.authFailed,
      hint:
        options.token
          ? "the token does not match the server's admin_api_key: create a pair with `moose generate hash-token`, " +
            "set the key on the server ([authentication] admin_api_key) and pass the token with --token or MOOSE_ADMIN_TOKEN"
          : "pass a bearer token with --token or MOOSE_ADMIN_TOKEN; create one with `moose generate hash-token` " +
            "and set its key on the server ([authentication] admin_api_key)",
      details: { url: where, status: response.status },
    });
  }
  if (!response.ok) {
    throw new MooseError("REMOTE_ERROR", `${where} answered ${response.status}: ${serverMessage(text)}`, {
      hint: "see the server's log (`moose logs` on the server) for the cause",
      details: { url: where, status: response.status },
    });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new MooseError("REMOTE_BAD_RESPONSE", `${where} answered with something that is not JSON`, {
      hint: "check that the URL points at a moose-ts server (`moose prod`), not a proxy or another service",
      details: { url: where },
    });
  }
}

/**
 * The body as text, read up to MAX_REPLY_BYTES (a larger one is REMOTE_BAD_RESPONSE), until `deadline`
 * aborts. The deadline is watched here rather than left to fetch: its abort did not end a body that
 * arrived a byte at a time once the response had been garbage-collected from fetch's view.
 */
async function replyText(response: Response, where: string, deadline: AbortSignal): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const stop = () => void reader.cancel(deadline.reason).catch(() => undefined);
  deadline.addEventListener("abort", stop, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      if (deadline.aborted) throw deadline.reason;
      const { done, value } = await reader.read();
      // A cancel ends a pending read as if the body had ended.
      if (deadline.aborted) throw deadline.reason;
      if (done) break;
      size += value.byteLength;
      if (size > MAX_REPLY_BYTES) {
        // The connection is closed, not read to its end.
        await reader.cancel().catch(() => undefined);
        throw new MooseError("REMOTE_BAD_RESPONSE", `${where} answered with more than ${MAX_REPLY_BYTES / 1024 / 1024} MiB (${response.status}): not a moose server's answer`, {
          hint: "check that the URL points at a moose-ts server (`moose prod`), not a proxy or another service",
          details: { url: where, status: response.status },
        });
      }
      chunks.push(value);
    }
  } finally {
    deadline.removeEventListener("abort", stop);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The URL as shown in messages: no user:password, no query string. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return redactString(cause?.code ?? cause?.message ?? (error as Error).message);
}

/**
 * The `error` field of a JSON error body, or the start of a text body; never echoes secrets, and never
 * a control or text-direction character (a server's escape sequences would reach the terminal): each
 * becomes a space.
 */
function serverMessage(text: string): string {
  // Control characters, and the Unicode ones that move text about (line separators, bidirectional overrides).
  const printable = (message: string) => redactString(message).replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, " ");
  try {
    const value = JSON.parse(text) as { error?: unknown };
    if (typeof value.error === "string") return printable(value.error);
  } catch {
    // not JSON: use the text
  }
  const trimmed = text.trim().slice(0, 300);
  return trimmed === "" ? "(empty response)" : printable(trimmed);
}
