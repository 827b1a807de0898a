// The non-Web reference: cookie-signature (Express's signer, on node:crypto's native HMAC)
// with the `cookie` package. Loaded on Node, Deno and Bun only, never in workerd.

import { parse, serialize } from "cookie";
// @ts-expect-error: cookie-signature ships no types.
import signature from "cookie-signature";
import { SECRET, dataOf, requestTo, sink } from "./fixtures.ts";
import type { BenchData } from "./fixtures.ts";
import type { Contender } from "./contenders.ts";

const sign = (signature as { sign(value: string, secret: string): string }).sign;
const unsign = (signature as { unsign(value: string, secret: string): string | false }).unsign;
const OPTIONS = { path: "/", httpOnly: true, secure: true, sameSite: "lax" } as const;

export const cookieSignature: Contender = {
  id: "cookie-signature",
  label: "cookie-signature + cookie (node:crypto)",
  kind: "peer",
  webStandard: false,
  note: "Express's signer: createHmac per call on native OpenSSL; not Web-standard (reference only)",
  async create(size) {
    const data = dataOf(size);
    const readData = (request: Request): BenchData | null => {
      const value = parse(request.headers.get("cookie") ?? "").session;
      const text = value === undefined ? false : unsign(value, SECRET);
      return text === false ? null : (JSON.parse(text) as BenchData);
    };
    const respond = (value: BenchData): Response => {
      const response = new Response("ok");
      response.headers.append("set-cookie", serialize("session", sign(JSON.stringify(value), SECRET), OPTIONS));
      return response;
    };
    return {
      async read(request) {
        sink.value = readData(request)?.user;
        return new Response("ok");
      },
      write: async () => respond(data),
      async full(request) {
        const d = readData(request) ?? ({} as BenchData);
        d.visits = (d.visits ?? 0) + 1;
        return respond(d);
      },
      decode: async (pair) => readData(requestTo("/", pair)),
    };
  },
};
