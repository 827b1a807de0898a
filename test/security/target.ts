// One configured websession per mode (signed, sealed, flask, server-side in a memory store) on
// an injected clock, and the security bar's ANON outcome as one assertion (security-bar.md §0):
// a fresh empty session, no exception, no Set-Cookie unless the handler writes (and then a
// brand-new cookie, never the presented one), Vary: Cookie, one coarse onInvalid reason, and no
// presented value in anything logged.

import { expect, vi } from "vitest";
import { createSessions, memoryStore } from "../../src/index.ts";
import type { InvalidReason, MemoryStore, Session, Sessions, SessionsOptions } from "../../src/index.ts";
import { OLD_SECRET, T0, TEST_SECRET, clock } from "../helpers.ts";

export { OLD_SECRET, T0, TEST_SECRET };
/** T0 in whole seconds. */
export const T0S = T0 / 1000;

export type Mode = "signed" | "sealed" | "flask" | "store";
/** Every mode: the three cookie formats and server-side sessions. */
export const MODES: readonly Mode[] = ["signed", "sealed", "flask", "store"];
/** The modes whose cookie carries the data. */
export const COOKIE_MODES: readonly Mode[] = ["signed", "sealed", "flask"];

/** What a handler saw, and what the response carried. */
export interface Observed {
  readonly isNew: boolean;
  readonly data: Record<string, unknown>;
  readonly permanent: boolean;
  readonly setCookie: string[];
  readonly vary: string | null;
  readonly status: number;
}

/** A request to the test host carrying `cookie` as the whole Cookie header (if any). */
export function request(cookie?: string, init: RequestInit & { url?: string } = {}): Request {
  const headers = new Headers(init.headers);
  if (cookie !== undefined) headers.set("Cookie", cookie);
  return new Request(init.url ?? "https://app.example/", { ...init, headers });
}

/** The value of the first Set-Cookie line for `name` (undefined when there is none). */
export function valueOf(lines: readonly string[], name: string): string | undefined {
  const line = lines.find((l) => l.startsWith(`${name}=`));
  return line === undefined ? undefined : line.slice(name.length + 1, line.includes(";") ? line.indexOf(";") : undefined);
}

/** The options of `mode` on top of `overrides` (a store mode gets `store`, a fresh memoryStore by default). */
export function modeOptions(mode: Mode, overrides: Partial<SessionsOptions> = {}, store?: MemoryStore): SessionsOptions {
  const base: SessionsOptions = { secret: TEST_SECRET };
  if (mode === "store") base.store = store ?? memoryStore();
  else base.format = mode;
  return { ...base, ...overrides };
}

/** A websession in one mode, with its reasons, clock and (server-side) store. */
export class Target {
  readonly mode: Mode;
  readonly name: string;
  readonly sessions: Sessions;
  readonly reasons: InvalidReason[] = [];
  readonly store: MemoryStore | undefined;
  readonly time = clock();

  constructor(mode: Mode, overrides: Partial<SessionsOptions> = {}, shared: { store?: MemoryStore } = {}) {
    this.mode = mode;
    this.name = overrides.cookie?.name ?? "session";
    this.store = mode === "store" ? (shared.store ?? memoryStore()) : undefined;
    const options = modeOptions(mode, overrides, this.store);
    this.sessions = createSessions({ now: this.time.now, onInvalid: (reason) => this.reasons.push(reason), onError: rethrow, ...options });
  }

  /** Runs `handler` for a request carrying `cookie`. */
  run(handler: (session: Session, request: Request) => unknown, cookie?: string, init: RequestInit & { url?: string } = {}): Promise<Response> {
    return this.sessions.handle(async (req, session) => {
      const response = await handler(session, req);
      return response instanceof Response ? response : new Response("ok");
    })(request(cookie, init));
  }

  /** A valid cookie value holding `data` (a fresh session written by this target). */
  async issue(data: Record<string, unknown> = { user: "ada" }, options: { permanent?: boolean } = {}): Promise<string> {
    const response = await this.run((s) => {
      s.update(data);
      if (options.permanent) s.permanent = true;
    });
    const value = valueOf(response.headers.getSetCookie(), this.name);
    if (value === undefined || value === "") throw new Error(`${this.mode}: issuing a cookie set none`);
    return value;
  }

  /** `name=value` for a value of this target's cookie. */
  pair(value: string): string {
    return `${this.name}=${value}`;
  }

  /** A request that only reads the session. */
  async read(cookie?: string, init: RequestInit & { url?: string } = {}): Promise<Observed> {
    let seen: Omit<Observed, "setCookie" | "vary" | "status"> | undefined;
    const response = await this.run(
      (s) => {
        seen = { isNew: s.isNew, data: s.toJSON() as Record<string, unknown>, permanent: s.permanent };
      },
      cookie,
      init,
    );
    return { ...seen!, setCookie: response.headers.getSetCookie(), vary: response.headers.get("Vary"), status: response.status };
  }

  /** Asserts that `cookie` (a whole Cookie header) loads as exactly `data`. */
  async accepts(cookie: string, data: Record<string, unknown>, label = cookie): Promise<void> {
    const seen = await this.read(cookie);
    expect(seen.isNew, `${this.mode}: ${label} should be accepted (reasons ${this.reasons.join(",")})`).toBe(false);
    expect(seen.data, `${this.mode}: ${label}`).toEqual(data);
  }

  /**
   * Asserts the ANON outcome for a request carrying `cookie` (a whole Cookie header):
   * `reason` is the one onInvalid reason expected per request (a list: any one of them; `null`:
   * none, as when no cookie of this name was sent; omitted: exactly one, any).
   */
  async anon(cookie: string, expected: { reason?: InvalidReason | readonly InvalidReason[] | null; label?: string } = {}): Promise<void> {
    const label = `${this.mode}: ${expected.label ?? JSON.stringify(cookie.length > 120 ? `${cookie.slice(0, 120)}...` : cookie)}`;
    const presented = presentedValues(cookie);
    const logs = captureLogs();
    try {
      this.reasons.length = 0;
      const seen = await this.read(cookie);
      expect(seen.status, label).toBe(200);
      expect(seen.isNew, `${label}: a fresh session`).toBe(true);
      expect(seen.data, `${label}: no data`).toEqual({});
      expect(seen.permanent, label).toBe(false);
      expect(
        seen.setCookie.filter((l) => this.ours(l)),
        `${label}: no Set-Cookie when only read`,
      ).toEqual([]);
      expect(seen.vary ?? "", `${label}: Vary`).toMatch(/(^|,\s*)Cookie$/);
      this.expectReasons(expected.reason, label);

      // A handler that writes gets a brand-new cookie (a newly minted id, never a presented one).
      this.reasons.length = 0;
      const written = await this.run((s) => {
        expect(s.isNew, label).toBe(true);
        s.set("probe", 1);
      }, cookie);
      const value = valueOf(written.headers.getSetCookie(), this.name);
      expect(value, `${label}: a new cookie on write`).toBeTruthy();
      expect(presented, `${label}: the new cookie is not the presented one`).not.toContain(value);
      this.expectReasons(expected.reason, label);
      this.reasons.length = 0;
      const back = await this.read(this.pair(value!));
      expect([back.isNew, back.data], `${label}: the new cookie holds only the new data`).toEqual([false, { probe: 1 }]);
    } finally {
      logs.restore();
    }
    for (const value of presented.filter((v) => v.length >= 8)) {
      expect(logs.text().includes(value), `${label}: a presented cookie value was logged`).toBe(false);
    }
  }

  private expectReasons(reason: InvalidReason | readonly InvalidReason[] | null | undefined, label: string): void {
    if (reason === null) expect(this.reasons, `${label}: no onInvalid`).toEqual([]);
    else if (reason === undefined) expect(this.reasons, `${label}: one onInvalid reason`).toHaveLength(1);
    else if (typeof reason === "string") expect(this.reasons, `${label}: onInvalid`).toEqual([reason]);
    else {
      expect(this.reasons, `${label}: one onInvalid reason`).toHaveLength(1);
      expect(reason, `${label}: onInvalid ${this.reasons[0]}`).toContain(this.reasons[0]);
    }
  }

  /** Whether a Set-Cookie line is for this target's cookie (or one of its chunks). */
  ours(line: string): boolean {
    return line.startsWith(`${this.name}=`) || new RegExp(`^${this.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.\\d+=`).test(line);
  }
}

/** Every value in a Cookie header, whatever its name (a plain split; the code under test has its own parser). */
export function presentedValues(header: string): string[] {
  const values = header.split(/[;,]/).map((pair) => pair.slice(pair.indexOf("=") + 1).trim());
  return [...new Set(values.filter((value) => value !== ""))];
}

/** Captures everything written through console.* until `restore()`. */
export function captureLogs(): { text(): string; restore(): void } {
  const lines: string[] = [];
  const spies = (["log", "info", "warn", "error", "debug"] as const).map((method) =>
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    }),
  );
  return {
    text: () => lines.join("\n"),
    restore: () => spies.forEach((s) => s.mockRestore()),
  };
}

/** `token` with the character at `index` replaced by the next one in `alphabet` (cycling). */
export function replaceAt(token: string, index: number, step = 1, alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."): string {
  const c = token[index]!;
  const at = alphabet.indexOf(c);
  const other = alphabet[((at === -1 ? 0 : at) + step) % alphabet.length]!;
  return token.slice(0, index) + other + token.slice(index + 1);
}

/** handle() answers SessionErrors with 503/500 by default; these tests assert the typed error itself. */
function rethrow(error: Error): never {
  throw error;
}
