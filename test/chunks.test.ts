import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { MAX_CHUNKS, chunkName, collectChunks, maxChunkedLength, splitIntoChunks, staleCookieNames } from "../src/chunks.ts";
import type { SentCookies } from "../src/chunks.ts";
import { sealedCodec } from "../src/codecs/sealed.ts";
import { signedCodec } from "../src/codecs/signed.ts";
import { SessionError, createSessions } from "../src/index.ts";
import type { InvalidReason, Session, SessionFormat, SessionsOptions } from "../src/index.ts";
import { emptyState } from "../src/session.ts";
import { T0, TEST_SECRET, clock, requestWith } from "./helpers.ts";
import { CookieJar } from "../src/testing.ts";

type Handler = (request: Request, session: Session) => Response | Promise<Response>;
const ok = (): Response => new Response("ok");
const FORMATS: SessionFormat[] = ["signed", "sealed"];

function text(length: number): string {
  return randomBytes(length).toString("base64url").slice(0, length);
}

function sent(tokens: string[] | null, plain: boolean, chunkNames: string[]): SentCookies {
  return { tokens, plain, chunkNames };
}

describe("splitIntoChunks", () => {
  test("limits: 3 chunks, 4096 bytes of name + value each", () => {
    expect(MAX_CHUNKS).toBe(3);
    expect(chunkName("session", 2)).toBe("session.2");
    expect(maxChunkedLength("session")).toBe(3 * (4096 - 9));
    expect(maxChunkedLength("__Host-s", 2)).toBe(2 * (4096 - 10));
    expect(maxChunkedLength("s", 11)).toBe(10 * (4096 - 3) + (4096 - 4));
  });

  test.each([1, 4086, 4087, 4088, 8174, 8175, 12_260, 12_261])("a %i-byte value: filled chunks of exactly 4096 bytes, joined back exactly", (length) => {
    const value = text(length);
    const chunks = splitIntoChunks("session", value);
    expect(chunks.map((c) => c.name)).toEqual(Array.from({ length: Math.ceil(length / 4087) }, (_, i) => `session.${i}`));
    expect(chunks.map((c) => c.value).join("")).toBe(value);
    chunks.forEach((c, i) => {
      if (i < chunks.length - 1) expect(c.name.length + c.value.length).toBe(4096);
      else expect(c.name.length + c.value.length).toBeLessThanOrEqual(4096);
      expect(c.value.length).toBeGreaterThan(0);
    });
  });

  test("two-digit indexes get one byte less of value", () => {
    const chunks = splitIntoChunks("s", text(10 * 4093 + 5000), 12);
    expect(chunks.map((c) => c.name)).toEqual(Array.from({ length: 12 }, (_, i) => `s.${i}`));
    expect(chunks.map((c) => c.value.length)).toEqual([...Array(10).fill(4096 - 3), 4096 - 4, 5000 - (4096 - 4)]);
  });

  test("past the limit: SessionError cookie_too_large naming the size and the limit", () => {
    let error: unknown;
    try {
      splitIntoChunks("session", text(12_262));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SessionError);
    expect((error as SessionError).code).toBe("cookie_too_large");
    expect((error as Error).message).toMatch(
      /needs 12262 bytes of cookie value, over the 12261 bytes that 3 chunk cookies \(session\.0 to session\.2, 4096 bytes of name \+ value each\)/,
    );
  });
});

describe("collectChunks", () => {
  test("nothing sent", () => {
    expect(collectChunks(null, "session")).toEqual(sent([], false, []));
    expect(collectChunks("", "session")).toEqual(sent([], false, []));
    expect(collectChunks("other=1", "session")).toEqual(sent([], false, []));
  });

  test("chunks join in index order, whatever the header order", () => {
    expect(collectChunks("session.1=BB; a=1; session.0=AA; session.2=C", "session")).toEqual(sent(["AABBC"], false, ["session.0", "session.1", "session.2"]));
    expect(collectChunks("session.0=AA; session.1=BB", "session")).toEqual(sent(["AABB"], false, ["session.0", "session.1"]));
    // CK-13b: a chunk name after a "," inside another pair is not a cookie.
    expect(collectChunks("session.0=AA, session.1=BB", "session")).toEqual(sent(["AA, session.1=BB"], false, ["session.0"]));
  });

  test("the plain cookie's values come first, then the joined chunks", () => {
    expect(collectChunks("session.0=A; session=P; session=Q", "session")).toEqual(sent(["P", "Q", "A"], true, ["session.0"]));
    expect(collectChunks("session=P", "session")).toEqual(sent(["P"], true, []));
  });

  test("a gap ends the join; chunks after it are still reported for deletion", () => {
    expect(collectChunks("session.0=A; session.2=C", "session")).toEqual(sent(["A"], false, ["session.0", "session.2"]));
    expect(collectChunks("session.1=B; session.2=C", "session")).toEqual(sent([], false, ["session.1", "session.2"]));
  });

  test("a chunk name twice: the same value counts once, different values are ambiguous", () => {
    expect(collectChunks("session.0=A; session.1=B; session.0=A", "session")).toEqual(sent(["AB"], false, ["session.0", "session.1"]));
    expect(collectChunks("session.0=A; session.1=B; session.1=X", "session")).toEqual(sent(null, false, ["session.0", "session.1"]));
    expect(collectChunks("session=P; session.1=B; session.1=", "session")).toEqual(sent(null, true, ["session.1"]));
  });

  test("only exact names count: no case folding, no leading zeros, no Unicode trimming, nothing past the limit", () => {
    const header = "Session.0=A; session.00=A; session.-0=A; session0=A; \u00a0session.0=A; session.0 .1=A; session.3=D; session.10=E";
    expect(collectChunks(header, "session")).toEqual(sent([], false, []));
    expect(collectChunks("session.3=D; session.0=A", "session", 4)).toEqual(sent(["A"], false, ["session.0", "session.3"]));
  });
});

describe("staleCookieNames", () => {
  test("whatever was sent and is not written", () => {
    const both = sent(["P", "AB"], true, ["session.0", "session.1", "session.2"]);
    expect(staleCookieNames(both, "session", ["session"])).toEqual(["session.0", "session.1", "session.2"]);
    expect(staleCookieNames(both, "session", ["session.0", "session.1"])).toEqual(["session", "session.2"]);
    expect(staleCookieNames(both, "session", ["session.0", "session.1", "session.2"])).toEqual(["session"]);
    expect(staleCookieNames(both, "session", [])).toEqual(["session", "session.0", "session.1", "session.2"]);
    expect(staleCookieNames(sent([], false, []), "session", ["session.0"])).toEqual([]);
  });
});

// A browser following a session over several requests: its jar applies every Set-Cookie.
function browser(format: SessionFormat, options: Partial<SessionsOptions> = {}) {
  const time = clock();
  const reasons: InvalidReason[] = [];
  const sessions = createSessions({
    secret: TEST_SECRET,
    format,
    oversize: "chunk",
    now: time.now,
    onInvalid: (r) => reasons.push(r),
    onError: rethrow,
    ...options,
  });
  const jar = new CookieJar({ now: time.now });
  async function visit(handler: Handler): Promise<Response> {
    const response = await sessions.handle(handler)(requestWith(jar.header()));
    jar.apply(response);
    return response;
  }
  // What a handler reads under "blob" when the browser sends exactly `header`.
  async function read(header: string | undefined): Promise<unknown> {
    let seen: unknown = "handler not run";
    await sessions.handle((_r, s) => ((seen = s.get("blob")), ok()))(requestWith(header));
    return seen;
  }
  return { time, reasons, sessions, jar, visit, read };
}

// The token the jar holds: the plain cookie, or its chunks joined.
function tokenIn(jar: CookieJar): string {
  const plain = jar.get("session");
  if (plain !== undefined) return plain;
  let token = "";
  for (let i = 0; jar.get(`session.${i}`) !== undefined; i++) token += jar.get(`session.${i}`);
  return token;
}

describe.each(FORMATS)('oversize: "chunk" with format %s', (format) => {
  test("a session growing from 1 KB to 12 KB and back: the jar always holds exactly the cookies written", async () => {
    const { visit, jar, reasons } = browser(format);
    const steps: Array<[blobLength: number, names: string[]]> = [
      [700, ["session"]],
      [3100, ["session.0", "session.1"]],
      [6000, ["session.0", "session.1"]],
      [9000, ["session.0", "session.1", "session.2"]],
      [6000, ["session.0", "session.1"]],
      [3100, ["session.0", "session.1"]],
      [2000, ["session"]],
      [700, ["session"]],
    ];
    let previous: string | undefined;
    const sizes: number[] = [];
    for (const [length, names] of steps) {
      const blob = text(length);
      let seen: unknown = "handler not run";
      await visit((_r, s) => ((seen = s.get("blob")), s.set("blob", blob), ok()));
      expect(seen, `before writing ${length}`).toBe(previous);
      expect(jar.names(), `after writing ${length}`).toEqual(names);
      for (const name of names) expect(name.length + jar.get(name)!.length).toBeLessThanOrEqual(4096);
      sizes.push(names.reduce((sum, name) => sum + name.length + 1 + jar.get(name)!.length, 0));
      previous = blob;
    }
    // About 1 KB, then over 4 KB, 8 KB and 12 KB of cookies, then back.
    expect(sizes[0]).toBeLessThan(1100);
    expect(sizes[3]).toBeGreaterThan(12_000);
    expect(sizes[7]).toBeLessThan(1100);
    let last: unknown;
    await visit((_r, s) => ((last = s.get("blob")), ok()));
    expect(last).toBe(previous);
    // Destroying deletes everything; the jar is empty.
    await visit((_r, s) => (s.set("blob", text(9000)), ok()));
    expect(jar.names()).toEqual(["session.0", "session.1", "session.2"]);
    await visit((_r, s) => (s.destroy(), ok()));
    expect(jar.names()).toEqual([]);
    expect(reasons).toEqual([]);
  });

  test("each write emits one Set-Cookie per name: the new cookies and the deletions of stale ones", async () => {
    const { visit } = browser(format);
    await visit((_r, s) => (s.set("blob", text(9000)), ok()));
    const shrink = await visit((_r, s) => (s.set("blob", text(3100)), ok()));
    const lines = shrink.headers.getSetCookie();
    expect(lines.map((l) => l.slice(0, l.indexOf("=")))).toEqual(["session.0", "session.1", "session.2"]);
    expect(lines[2]).toBe("session.2=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax");
    const toPlain = await visit((_r, s) => (s.set("blob", "small"), ok()));
    const plain = toPlain.headers.getSetCookie();
    expect(plain.map((l) => l.slice(0, l.indexOf("=") + 1))).toEqual(["session=", "session.0=", "session.1="]);
    expect(plain.slice(1).every((l) => l.includes("=; Max-Age=0;"))).toBe(true);
    const toChunks = await visit((_r, s) => (s.set("blob", text(6000)), ok()));
    expect(toChunks.headers.getSetCookie().map((l) => l.slice(0, l.indexOf("=") + 1))).toEqual(["session.0=", "session.1=", "session="]);
    expect(toChunks.headers.getSetCookie()[2]).toMatch(/^session=; Max-Age=0;/);
  });

  test("chunks of a permanent session share every attribute; a handler's cookie of a chunk name is replaced", async () => {
    const { sessions, time } = browser(format, { cookie: { name: "__Host-sid" } });
    const handler = sessions.handle((_r, s) => {
      s.permanent = true;
      s.set("blob", text(6000));
      const response = new Response("ok");
      response.headers.append("Set-Cookie", "__Host-sid.1=evil; Path=/; Secure");
      response.headers.append("Set-Cookie", "theme=dark; Path=/");
      return response;
    });
    const lines = (await handler(requestWith())).headers.getSetCookie();
    expect(lines.map((l) => l.slice(0, l.indexOf("=")))).toEqual(["theme", "__Host-sid.0", "__Host-sid.1"]);
    const expires = new Date(time.now() + 31 * 24 * 3600 * 1000).toUTCString();
    for (const line of lines.slice(1))
      expect(line.slice(line.indexOf(";"))).toBe(`; Max-Age=2678400; Expires=${expires}; Path=/; Secure; HttpOnly; SameSite=Lax`);
    expect(lines[1]!.indexOf(";")).toBe(4096 + 1); // name + "=" + value: a full first chunk
  });

  test("a missing, reordered, duplicated or extra chunk gives an empty session", async () => {
    const b = browser(format);
    const blob = text(9000);
    await b.visit((_r, s) => (s.set("blob", blob), ok()));
    const [A, B, C] = ["session.0", "session.1", "session.2"].map((n) => b.jar.get(n)!);
    expect(await b.read(`session.0=${A}; session.1=${B}; session.2=${C}`)).toBe(blob);
    expect(await b.read(`session.2=${C}; other=1; session.0=${A}; session.1=${B}`)).toBe(blob); // header order is irrelevant
    expect(await b.read(`session.0=${A}; session.1=${B}; session.1=${B}; session.2=${C}`)).toBe(blob); // an identical duplicate
    expect(b.reasons).toEqual([]);

    const bad: Array<[string, string]> = [
      ["middle chunk missing", `session.0=${A}; session.2=${C}`],
      ["last chunk missing", `session.0=${A}; session.1=${B}`],
      ["first chunk missing", `session.1=${B}; session.2=${C}`],
      ["two chunks swapped", `session.0=${B}; session.1=${A}; session.2=${C}`],
      ["a chunk at two indexes", `session.0=${A}; session.1=${A}; session.2=${C}`],
      ["a chunk name with two values", `session.0=${A}; session.1=${B}; session.1=${C}; session.2=${C}`],
      ["a chunk cut short", `session.0=${A}; session.1=${B.slice(0, -1)}; session.2=${C}`],
      ["a chunk moved into the plain cookie", `session=${A}; session.1=${B}; session.2=${C}`],
    ];
    for (const [what, header] of bad) expect(await b.read(header), what).toBeUndefined();
    expect(b.reasons).toContain("ambiguous");

    // An extra chunk after a shorter session's last one.
    const short = text(6000);
    await b.visit((_r, s) => (s.set("blob", short), ok()));
    const [S0, S1] = [b.jar.get("session.0")!, b.jar.get("session.1")!];
    expect(await b.read(`session.0=${S0}; session.1=${S1}`)).toBe(short);
    expect(await b.read(`session.0=${S0}; session.1=${S1}; session.2=${C}`)).toBeUndefined();
    expect(await b.read(`session.0=${S0}; session.1=${S1}; session.2=x`)).toBeUndefined();
    // Chunks of two different sessions never combine.
    expect(await b.read(`session.0=${A}; session.1=${S1}`)).toBeUndefined();
    expect(await b.read(`session.0=${S0}; session.1=${B}`)).toBeUndefined();
  });

  test("plain cookie and chunks together: one valid wins over garbage, two different valid are ambiguous", async () => {
    const b = browser(format);
    await b.visit((_r, s) => (s.set("blob", "plain"), ok()));
    const plain = b.jar.get("session")!;
    const other = browser(format);
    const big = text(6000);
    await other.visit((_r, s) => (s.set("blob", big), ok()));
    const [O0, O1] = [other.jar.get("session.0")!, other.jar.get("session.1")!];
    expect(await b.read(`session=${plain}; session.0=junk; session.1=junk`)).toBe("plain");
    expect(await b.read(`session=junk; session.0=${O0}; session.1=${O1}`)).toBe(big);
    b.reasons.length = 0;
    expect(await b.read(`session=${plain}; session.0=${O0}; session.1=${O1}`)).toBeUndefined();
    expect(b.reasons).toEqual(["ambiguous"]);
  });

  test("a rejected chunk set is deleted when the handler writes", async () => {
    const b = browser(format);
    const res = await b.sessions.handle((_r, s) => (s.get("blob"), s.set("blob", "fresh"), ok()))(requestWith("session.0=junk; session.2=junk"));
    const lines = res.headers.getSetCookie();
    expect(lines.map((l) => l.slice(0, l.indexOf("=") + 1))).toEqual(["session=", "session.0=", "session.2="]);
    expect(lines.slice(1).every((l) => /=; Max-Age=0;/.test(l))).toBe(true);
    // A handler that only reads deletes nothing.
    const untouched = await b.sessions.handle((_r, s) => (s.get("blob"), ok()))(requestWith("session.0=junk; session.2=junk"));
    expect(untouched.headers.getSetCookie()).toEqual([]);
  });
});

// The state a fresh session is written with at T0, to measure token lengths with the codec.
async function measure(format: SessionFormat): Promise<(pad: number) => Promise<number>> {
  const codec =
    format === "signed" ? signedCodec([TEST_SECRET], "session", { maxTokenLength: 1e6 }) : sealedCodec([TEST_SECRET], "session", { maxTokenLength: 1e6 });
  await codec.ready;
  return async (pad) => (await codec.encode({ ...emptyState(), data: new Map([["pad", "x".repeat(pad)]]), created: T0 / 1000, lastActive: T0 / 1000 })).length;
}

// The padding that makes the token exactly `length` characters long.
async function padFor(format: SessionFormat, length: number): Promise<number> {
  const tokenLength = await measure(format);
  let pad = Math.floor((length * 3) / 4) - 120;
  while ((await tokenLength(pad)) < length) pad++;
  expect(await tokenLength(pad), `a token of exactly ${length}`).toBe(length);
  return pad;
}

describe.each(FORMATS)("exact boundaries with format %s (SZ-01)", (format) => {
  test("name + value = 4096 is one cookie under both policies", async () => {
    const pad = await padFor(format, 4096 - "session".length);
    for (const oversize of ["error", "chunk"] as const) {
      const b = browser(format, { oversize });
      const res = await b.visit((_r, s) => (s.set("pad", "x".repeat(pad)), ok()));
      const [line, ...rest] = res.headers.getSetCookie();
      expect(rest).toEqual([]);
      expect(line!.indexOf(";")).toBe(4096 + 1);
      expect(b.jar.names()).toEqual(["session"]);
      let seen: unknown;
      await b.visit((_r, s) => ((seen = s.get("pad")), ok()));
      expect(seen).toBe("x".repeat(pad));
    }
  });

  test("name + value = 4097: a clear error with nothing written, or two chunks", async () => {
    const pad = await padFor(format, 4097 - "session".length);

    const strict = browser(format, { oversize: "error" });
    await strict.visit((_r, s) => (s.set("pad", "old"), ok()));
    const before = strict.jar.header();
    const error = await strict.visit((_r, s) => (s.set("pad", "x".repeat(pad)), ok())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionError);
    expect((error as SessionError).code).toBe("cookie_too_large");
    expect((error as Error).message).toMatch(/would be 4097 bytes \(name \+ value\), over the 4096-byte limit/);
    expect(strict.jar.header()).toBe(before);
    let kept: unknown;
    await strict.visit((_r, s) => ((kept = s.get("pad")), ok()));
    expect(kept).toBe("old");

    const chunked = browser(format);
    await chunked.visit((_r, s) => (s.set("pad", "old"), ok()));
    const res = await chunked.visit((_r, s) => (s.set("pad", "x".repeat(pad)), ok()));
    const lines = res.headers.getSetCookie();
    expect(lines.map((l) => l.slice(0, l.indexOf(";")).length)).toEqual([4096 + 1, "session.1=".length + 4097 - 7 - 4087, "session=".length]);
    expect(chunked.jar.names()).toEqual(["session.0", "session.1"]);
    let seen: unknown;
    await chunked.visit((_r, s) => ((seen = s.get("pad")), ok()));
    expect(seen).toBe("x".repeat(pad));
  });

  test("the chunk limit: three full chunks fit; one byte more is a clear error and the old cookies stay", async () => {
    const limit = maxChunkedLength("session");
    const full = await padFor(format, limit);
    const b = browser(format);
    await b.visit((_r, s) => (s.set("pad", "x".repeat(full)), ok()));
    expect(b.jar.names()).toEqual(["session.0", "session.1", "session.2"]);
    for (const name of b.jar.names()) expect(name.length + b.jar.get(name)!.length).toBe(4096);
    const before = b.jar.header();

    const over = await padFor(format, limit + 1);
    const error = await b.visit((_r, s) => (s.set("pad", "x".repeat(over)), ok())).catch((e: unknown) => e);
    expect((error as SessionError).code).toBe("cookie_too_large");
    expect((error as Error).message).toContain(`needs ${limit + 1} bytes of cookie value, over the ${limit} bytes that 3 chunk cookies`);
    expect(b.jar.header()).toBe(before);
    let seen: unknown;
    await b.visit((_r, s) => ((seen = s.get("pad")), ok()));
    expect(seen).toBe("x".repeat(full));
  });
});

describe("configuration", () => {
  test('oversize must be "error" or "chunk"', () => {
    expect(() => createSessions({ secret: TEST_SECRET, oversize: "split" as never })).toThrow(
      new TypeError('option oversize is invalid: "split"; use "error" or "chunk"'),
    );
    expect(() => createSessions({ secret: TEST_SECRET, format: "sealed", oversize: "chunk" })).not.toThrow();
  });

  test("chunking is refused for the Flask format, saying why", () => {
    expect(() => createSessions({ secret: TEST_SECRET, format: "flask" as string as SessionFormat, oversize: "chunk" })).toThrow(
      /^option oversize: "chunk" cannot be used with format: "flask": Flask reads only the one cookie named by SESSION_COOKIE_NAME, so it could not read a session split over several cookies; keep the session under 4096 bytes, or use a server-side store$/,
    );
  });

  test('without oversize: "chunk", chunk cookies are neither read nor deleted', async () => {
    const chunked = browser("signed");
    await chunked.visit((_r, s) => (s.set("blob", text(6000)), ok()));
    const header = chunked.jar.header()!;
    const strict = browser("signed", { oversize: "error" });
    expect(await strict.read(header)).toBeUndefined();
    const res = await strict.sessions.handle((_r, s) => (s.set("blob", "x"), ok()))(requestWith(header));
    expect(res.headers.getSetCookie().map((l) => l.slice(0, l.indexOf("=")))).toEqual(["session"]);
  });
});

/** handle() answers SessionErrors with 503/500 by default; these tests assert the typed error itself. */
function rethrow(error: Error): never {
  throw error;
}
