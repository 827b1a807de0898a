// The light RequestLike view the Node adapters hand the core: no Request built, headers read
// straight from Node's lower-cased header object.
import { expect, test } from "vitest";
import { requestView } from "../../adapters/node-common.ts";
import { createSessions, generateSecret } from "../../src/index.ts";

test("headers: lower-cased lookup, repeated Cookie headers joined with '; ', others with ', '", () => {
  const view = requestView({ url: "/a", headers: { cookie: ["a=1", "b=2"], "x-forwarded-for": ["1.1.1.1", "2.2.2.2"], host: "example.com" } });
  expect(view.headers.get("Cookie")).toBe("a=1; b=2");
  expect(view.headers.get("x-forwarded-for")).toBe("1.1.1.1, 2.2.2.2");
  expect(view.headers.get("missing")).toBeNull();
});

test("url: the scheme from the socket, the host from Host (or :authority), Express's originalUrl", () => {
  expect(requestView({ url: "/p?q=1", headers: { host: "127.0.0.1:8080" }, socket: {} }).url).toBe("http://127.0.0.1:8080/p?q=1");
  expect(requestView({ url: "/", headers: { host: "example.com" }, socket: { encrypted: true } }).url).toBe("https://example.com/");
  expect(requestView({ url: "/", headers: { ":authority": "h2.example" } }).url).toBe("http://h2.example/");
  expect(requestView(Object.assign({ url: "/", headers: { host: "a.example" } }, { originalUrl: "/mounted/" })).url).toBe("http://a.example/mounted/");
  // No Host at all: never taken for loopback, so secure "auto" keeps Secure.
  expect(requestView({ url: "/", headers: {} }).url).toBe("http://unknown.invalid/");
});

test("the core reads a session through the view, and secure auto decides from it", async () => {
  const sessions = createSessions<{ user?: string }>({ secret: generateSecret() });
  const first = await sessions.load(requestView({ url: "/", headers: { host: "127.0.0.1" } }));
  first.set("user", "ada");
  const [write] = (await sessions.save(first)).cookies;
  expect(write!.secure).toBe(false);
  const cookie = `${write!.name}=${write!.value}`;
  const again = await sessions.load(requestView({ url: "/", headers: { host: "app.example", cookie: ["theme=dark", cookie] } }));
  expect(again.get("user")).toBe("ada");
  again.set("user", "grace");
  expect((await sessions.save(again)).cookies[0]!.secure).toBe(true);
});
