// Everything the benchmark compares, behind one shape: websession (each format and store
// that createSessions accepts), the peers, the floors and the no-session baselines.
// Web globals only: this file also runs inside workerd. The Node-only reference
// (cookie-signature on node:crypto) lives in native.ts.

import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { useSession } from "@hono/session";
import type { SessionEnv as HonoSessionEnv } from "@hono/session";
import { Hono } from "hono";
import type { Context } from "hono";
import { getSignedCookie, setSignedCookie } from "hono/cookie";
import { parseSigned, serializeSigned } from "hono/utils/cookie";
import { getIronSession, unsealData } from "iron-session";
import { createCookieSessionStorage } from "react-router";
import * as websessionModule from "../src/index.ts";
import { createSessions } from "../src/index.ts";
import type { Session, SessionsOptions } from "../src/index.ts";
import { readCookie } from "../src/cookie.ts";
import { session as honoAdapter } from "../adapters/hono.ts";
import { base64urlDecode, base64urlEncode, timingSafeEqual, utf8Decoder, utf8Encoder } from "../src/encoding.ts";
import { SECRET, dataOf, requestTo, sink } from "./fixtures.ts";
import type { BenchData, Size } from "./fixtures.ts";

/** A request handler under test: one Request in, one Response out. */
export type Handler = (request: Request) => Promise<Response>;

/** The scenarios. Requests go to `/<scenario>` (Hono apps route on it; the rest ignore it). */
export type Scenario = "read" | "write" | "full" | "untouched";

/** One contender set up for one session size. */
export interface Instance {
  /** Reads the session (verify + decode) and reads one field; sets no cookie. */
  read: Handler;
  /** A request without a cookie: stores the size's data in a fresh session (encode + sign + Set-Cookie). */
  write: Handler;
  /** Reads, increments `visits`, re-encodes, re-signs and sets the cookie. */
  full: Handler;
  /** Never touches the session (defined only where the library runs on every request). */
  untouched?: Handler;
  /** Test-only decoding of a `name=value` pair: the data, or `null` for no valid session. */
  decode(pair: string): Promise<Record<string, unknown> | null>;
}

export type Kind = "websession" | "peer" | "floor" | "baseline";

export interface Contender {
  id: string;
  label: string;
  kind: Kind;
  /** Uses only Web-standard APIs (so it counts for the "fastest Web-standard peer"). */
  webStandard: boolean;
  /** Runs inside a Hono app: its net cost is taken against the no-session Hono app. */
  viaHono?: boolean;
  /** One line on what exactly is measured. */
  note: string;
  /** Sets it up for `size`, or throws {@link Unavailable}. */
  create(size: Size): Promise<Instance>;
}

/** Thrown by `create` when a contender does not exist (yet) in this tree or runtime. */
export class Unavailable extends Error {}

const COOKIE = "session";
const OK = (): Response => new Response("ok");
// The untouched handler returns one body-less Response, built once: what is measured is only
// what the library adds (a session library must hand back an untouched response as it is).
const UNTOUCHED = new Response(null, { status: 204 });

// ---------------------------------------------------------------------------------------
// websession

function websession(id: string, label: string, note: string, options: () => Promise<Partial<SessionsOptions>>, viaHono = false): Contender {
  return {
    id,
    label,
    kind: "websession",
    webStandard: true,
    viaHono,
    note,
    async create(size) {
      let sessions: ReturnType<typeof createSessions<BenchData>>;
      try {
        sessions = createSessions<BenchData>({ secret: SECRET, ...(await options()) } as SessionsOptions);
      } catch (error) {
        throw new Unavailable(`createSessions rejects it: ${(error as Error).message}`);
      }
      const data = dataOf(size);
      const read = (_: Request, s: Session<BenchData>): Response => {
        sink.value = s.get("user");
        return OK();
      };
      const write = (_: Request, s: Session<BenchData>): Response => {
        s.update(data);
        return OK();
      };
      const full = (_: Request, s: Session<BenchData>): Response => {
        s.set("visits", (s.get("visits") ?? 0) + 1);
        return OK();
      };
      const decode = async (pair: string): Promise<Record<string, unknown> | null> => {
        const s = await sessions.load(requestTo("/", pair));
        return s.isNew ? null : s.toJSON();
      };
      if (!viaHono) {
        return {
          read: sessions.handle(read),
          write: sessions.handle(write),
          full: sessions.handle(full),
          untouched: sessions.handle(() => UNTOUCHED),
          decode,
        };
      }
      // The same handlers inside a Hono app, through websession's Hono adapter.
      type Env = { Variables: { session: Session<BenchData> } };
      const app = new Hono<Env>();
      app.use(honoAdapter<BenchData>({ secret: SECRET, ...(await options()) } as SessionsOptions));
      const text = (c: Context<Env>): Response => c.text("ok");
      app.get("/read", (c) => (read(c.req.raw, c.var.session), text(c)));
      app.get("/write", (c) => (write(c.req.raw, c.var.session), text(c)));
      app.get("/full", (c) => (full(c.req.raw, c.var.session), text(c)));
      app.get("/untouched", text);
      return honoInstance(app, decode);
    },
  };
}

function honoInstance(app: { fetch(request: Request): Response | Promise<Response> }, decode: Instance["decode"]): Instance {
  const fetch: Handler = async (request) => app.fetch(request);
  return { read: fetch, write: fetch, full: fetch, untouched: fetch, decode };
}

/** websession in every format and store this tree's createSessions accepts. */
export async function websessionContenders(): Promise<Contender[]> {
  // Looked up at run time: formats and stores arrive while this harness exists.
  const memoryStore = (websessionModule as Record<string, unknown>).memoryStore as (() => unknown) | undefined;
  return [
    websession("websession-signed", "websession signed", "sessions.handle(): load, handler, commit (default format)", async () => ({})),
    websession("websession-sealed", "websession sealed", 'format: "sealed" (AES-256-GCM)', async () => ({ format: "sealed" }) as Partial<SessionsOptions>),
    websession(
      "websession-flask",
      "websession flask",
      'format: "flask" (itsdangerous, HMAC-SHA-1)',
      async () => ({ format: "flask" }) as Partial<SessionsOptions>,
    ),
    websession("websession-memory", "websession memory store", "server-side memory store; the cookie holds an id", async () => {
      if (typeof memoryStore !== "function") throw new Unavailable("src/index.ts exports no memoryStore yet");
      return { store: memoryStore() } as Partial<SessionsOptions>;
    }),
    websession("websession-signed-hono", "websession signed (Hono app)", "websession/hono middleware (adapters/hono.ts) in a Hono app", async () => ({}), true),
  ];
}

// ---------------------------------------------------------------------------------------
// Peers

const HONO_OPTIONS = { path: "/", httpOnly: true, secure: true, sameSite: "Lax" } as const;

function parseJson(text: unknown): BenchData | null {
  return typeof text === "string" ? (JSON.parse(text) as BenchData) : null;
}

const honoUtils: Contender = {
  id: "hono-utils",
  label: "Hono signed cookie utils",
  kind: "peer",
  webStandard: true,
  note: "hono/utils/cookie parseSigned + serializeSigned on Request/Response (WebCrypto, key imported per call)",
  async create(size) {
    const data = dataOf(size);
    const readData = async (request: Request): Promise<BenchData | null> =>
      parseJson((await parseSigned(request.headers.get("cookie") ?? "", SECRET, COOKIE))[COOKIE]);
    const respond = async (value: BenchData): Promise<Response> => {
      const response = OK();
      response.headers.append("set-cookie", await serializeSigned(COOKIE, JSON.stringify(value), SECRET, HONO_OPTIONS));
      return response;
    };
    return {
      async read(request) {
        sink.value = (await readData(request))?.user;
        return OK();
      },
      write: () => respond(data),
      async full(request) {
        const d = (await readData(request)) ?? ({} as BenchData);
        d.visits = (d.visits ?? 0) + 1;
        return respond(d);
      },
      decode: (pair) => readData(requestTo("/", pair)),
    };
  },
};

const honoCookieApp: Contender = {
  id: "hono-cookie-app",
  label: "Hono signed cookies (Hono app)",
  kind: "peer",
  webStandard: true,
  viaHono: true,
  note: "hono/cookie getSignedCookie + setSignedCookie inside a Hono app",
  async create(size) {
    const data = dataOf(size);
    const app = new Hono();
    const readData = async (c: Context): Promise<BenchData | null> => parseJson(await getSignedCookie(c, SECRET, COOKIE));
    app.get("/read", async (c) => {
      sink.value = (await readData(c))?.user;
      return c.text("ok");
    });
    app.get("/write", async (c) => {
      await setSignedCookie(c, COOKIE, JSON.stringify(data), SECRET, HONO_OPTIONS);
      return c.text("ok");
    });
    app.get("/full", async (c) => {
      const d = (await readData(c)) ?? ({} as BenchData);
      d.visits = (d.visits ?? 0) + 1;
      await setSignedCookie(c, COOKIE, JSON.stringify(d), SECRET, HONO_OPTIONS);
      return c.text("ok");
    });
    app.get("/untouched", (c) => c.text("ok"));
    return honoInstance(app, async (pair) => parseJson((await parseSigned(pair, SECRET, COOKIE))[COOKIE]));
  },
};

const honoSession: Contender = {
  id: "hono-session",
  label: "@hono/session (Hono app)",
  kind: "peer",
  webStandard: true,
  viaHono: true,
  note: "useSession() middleware: JWE (dir + A256GCM) via jose",
  async create(size) {
    const data = dataOf(size);
    const app = new Hono<HonoSessionEnv<BenchData>>();
    app.use(useSession<BenchData>({ secret: SECRET }));
    app.get("/read", async (c) => {
      sink.value = (await c.var.session.get())?.user;
      return c.text("ok");
    });
    app.get("/write", async (c) => {
      await c.var.session.update(data);
      return c.text("ok");
    });
    app.get("/full", async (c) => {
      await c.var.session.update((prev: BenchData | null) => {
        const d = prev ?? ({} as BenchData);
        return { ...d, visits: (d.visits ?? 0) + 1 };
      });
      return c.text("ok");
    });
    app.get("/untouched", (c) => c.text("ok"));
    app.get("/peek", async (c) => c.json(await c.var.session.get()));
    return honoInstance(app, async (pair) => {
      const response = await app.fetch(requestTo("/peek", pair));
      return (await response.json()) as Record<string, unknown> | null;
    });
  },
};

const ironSession: Contender = {
  id: "iron-session",
  label: "iron-session",
  kind: "peer",
  webStandard: true,
  note: "getIronSession(request, response) + save() (iron-webcrypto: AES-256-CBC + HMAC, PBKDF2 per call)",
  async create(size) {
    const data = dataOf(size);
    const options = { password: SECRET, cookieName: COOKIE, cookieOptions: { secure: true, httpOnly: true, sameSite: "lax" as const, path: "/" } };
    type Iron = BenchData & { save(): Promise<void> };
    return {
      async read(request) {
        const response = OK();
        const s = await getIronSession<BenchData>(request, response, options);
        sink.value = s.user;
        return response;
      },
      async write(request) {
        const response = OK();
        const s = (await getIronSession<BenchData>(request, response, options)) as Iron;
        Object.assign(s, data);
        await s.save();
        return response;
      },
      async full(request) {
        const response = OK();
        const s = (await getIronSession<BenchData>(request, response, options)) as Iron;
        s.visits = (s.visits ?? 0) + 1;
        await s.save();
        return response;
      },
      async decode(pair) {
        const seal = pair.slice(pair.indexOf("=") + 1);
        const d = await unsealData<BenchData>(decodeURIComponent(seal), { password: SECRET });
        return Object.keys(d).length === 0 ? null : d;
      },
    };
  },
};

const reactRouter: Contender = {
  id: "react-router",
  label: "React Router cookie sessions",
  kind: "peer",
  webStandard: true,
  note: "createCookieSessionStorage: getSession + commitSession (WebCrypto, key imported per call)",
  async create(size) {
    const data = dataOf(size);
    const storage = createCookieSessionStorage<BenchData>({
      cookie: { name: COOKIE, secrets: [SECRET], httpOnly: true, sameSite: "lax", path: "/", secure: true },
    });
    return {
      async read(request) {
        const s = await storage.getSession(request.headers.get("cookie"));
        sink.value = s.get("user");
        return OK();
      },
      async write(request) {
        const s = await storage.getSession(request.headers.get("cookie"));
        for (const key of Object.keys(data) as Array<keyof BenchData & string>) s.set(key, data[key]);
        const response = OK();
        response.headers.append("set-cookie", await storage.commitSession(s));
        return response;
      },
      async full(request) {
        const s = await storage.getSession(request.headers.get("cookie"));
        s.set("visits", (s.get("visits") ?? 0) + 1);
        const response = OK();
        response.headers.append("set-cookie", await storage.commitSession(s));
        return response;
      },
      async decode(pair) {
        const s = await storage.getSession(pair);
        return Object.keys(s.data).length === 0 ? null : (s.data as Record<string, unknown>);
      },
    };
  },
};

// ---------------------------------------------------------------------------------------
// Floors: the least work that does the same job (cookie parse, verify, JSON decode, change,
// JSON encode, sign, Set-Cookie) with one HMAC-SHA-256 primitive and no session semantics.
// Token: base64url(JSON) "." base64url(HMAC). They use websession's own encoding helpers, so
// the gap between a floor and websession is exactly the session layer.

interface Mac {
  sign(text: string): Uint8Array | Promise<Uint8Array>;
  verify(text: string, signature: Uint8Array): boolean | Promise<boolean>;
}

function floor(id: string, label: string, note: string, mac: () => Promise<Mac>): Contender {
  return {
    id,
    label,
    kind: "floor",
    webStandard: true,
    note,
    async create(size) {
      const m = await mac();
      const data = dataOf(size);
      const SUFFIX = "; Path=/; Secure; HttpOnly; SameSite=Lax";
      async function readData(request: Request): Promise<BenchData | null> {
        const value = readCookie(request.headers.get("cookie"), COOKIE)[0];
        if (value === undefined) return null;
        const dot = value.lastIndexOf(".");
        const signature = base64urlDecode(value.slice(dot + 1));
        if (dot < 1 || signature === null) return null;
        const body = value.slice(0, dot);
        if (!(await m.verify(body, signature))) return null;
        const bytes = base64urlDecode(body);
        if (bytes === null) return null;
        try {
          return JSON.parse(utf8Decoder.decode(bytes)) as BenchData;
        } catch {
          return null;
        }
      }
      async function respond(value: BenchData): Promise<Response> {
        const body = base64urlEncode(utf8Encoder.encode(JSON.stringify(value)));
        const response = OK();
        response.headers.append("set-cookie", `${COOKIE}=${body}.${base64urlEncode(await m.sign(body))}${SUFFIX}`);
        return response;
      }
      return {
        async read(request) {
          sink.value = (await readData(request))?.user;
          return OK();
        },
        write: () => respond(data),
        async full(request) {
          const d = (await readData(request)) ?? ({} as BenchData);
          d.visits = (d.visits ?? 0) + 1;
          return respond(d);
        },
        decode: (pair) => readData(requestTo("/", pair)),
      };
    },
  };
}

const KEY_BYTES = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 255);

const floorWebCrypto = floor("floor-webcrypto", "floor: WebCrypto HMAC, cached key", "crypto.subtle.sign/verify with one imported CryptoKey", async () => {
  const key = await crypto.subtle.importKey("raw", KEY_BYTES, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  return {
    sign: async (text) => new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8Encoder.encode(text))),
    verify: (text, signature) => crypto.subtle.verify("HMAC", key, signature as Uint8Array<ArrayBuffer>, utf8Encoder.encode(text)),
  };
});

const floorNoble = floor(
  "floor-noble",
  "floor: @noble/hashes HMAC, prepared",
  "synchronous HMAC with the key's inner/outer state prepared once (and a reused scratch state)",
  async () => {
    const prepared = hmac.create(sha256, KEY_BYTES);
    const scratch = prepared.clone();
    const out = new Uint8Array(32);
    const mac = (text: string): Uint8Array => {
      prepared._cloneInto(scratch);
      scratch.update(utf8Encoder.encode(text)).digestInto(out);
      return out;
    };
    return {
      sign: (text) => mac(text).slice(),
      verify: (text, signature) => timingSafeEqual(mac(text), signature),
    };
  },
);

// ---------------------------------------------------------------------------------------
// Baselines: the same handler with no session at all.

const none: Contender = {
  id: "none",
  label: "no session (baseline)",
  kind: "baseline",
  webStandard: true,
  note: 'the handler alone: new Response("ok") (untouched: one prebuilt body-less Response)',
  async create() {
    const handler: Handler = async () => OK();
    return { read: handler, write: handler, full: handler, untouched: async () => UNTOUCHED, decode: async () => null };
  },
};

const noneHono: Contender = {
  id: "none-hono",
  label: "no session, Hono app (baseline)",
  kind: "baseline",
  webStandard: true,
  viaHono: true,
  note: 'a Hono app whose routes return c.text("ok")',
  async create() {
    const app = new Hono();
    for (const path of ["/read", "/write", "/full", "/untouched"]) app.get(path, (c) => c.text("ok"));
    return honoInstance(app, async () => null);
  },
};

/** Every contender that runs on Web globals alone, websession first. */
export async function webContenders(): Promise<Contender[]> {
  return [...(await websessionContenders()), floorNoble, floorWebCrypto, honoUtils, honoCookieApp, honoSession, reactRouter, ironSession, none, noneHono];
}
