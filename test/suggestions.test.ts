// Unknown options name the right one when they are another library's spelling (issue #20):
// a port from express-session, cookie-session, iron-session or Flask fails at start-up saying
// what to write instead.
import { expect, test } from "vitest";
import { createSessions } from "../src/index.ts";
import type { SessionsOptions } from "../src/index.ts";
import { TEST_SECRET } from "./helpers.ts";

function errorOf(options: Record<string, unknown>): Error {
  try {
    createSessions(options as unknown as SessionsOptions);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`createSessions accepted ${JSON.stringify(Object.keys(options))}`);
}

test.each([
  ["maxAge", "did you mean lifetime (in seconds, not milliseconds)?"],
  ["ttl", "did you mean lifetime"],
  ["expires", "did you mean lifetime"],
  ["password", "did you mean secret?"],
  ["secrets", "did you mean secret"],
  ["keys", "did you mean secret"],
  ["cookieName", "did you mean cookie.name?"],
  ["name", "did you mean cookie.name?"],
  ["httpOnly", "did you mean cookie.httpOnly?"],
  ["secure", "did you mean cookie.secure?"],
  ["sameSite", "did you mean cookie.sameSite?"],
  ["domain", "did you mean cookie.domain?"],
  ["path", "did you mean cookie.path?"],
  ["rolling", "did you mean refresh?"],
  ["resave", "did you mean refresh?"],
  ["encryptionKey", 'did you mean secret (with format: "sealed")?'],
  ["Lifetime", "did you mean lifetime?"], // a valid name in another case
  ["STORETIMEOUT", "did you mean storeTimeout?"],
])("top-level %s suggests the right option", (key, hint) => {
  const error = errorOf({ secret: TEST_SECRET, [key]: 1 });
  expect(error).toBeInstanceOf(TypeError);
  expect(error.message).toContain(`option ${key} is unknown; ${hint}`);
  expect(error.message).toContain("valid options: secret, format");
});

test.each([
  ["maxAge", "did you mean the top-level option lifetime"],
  ["expires", "did you mean the top-level option lifetime"],
  ["httponly", "did you mean httpOnly?"],
  ["SameSite", "did you mean sameSite?"],
  ["same_site", "did you mean sameSite?"],
  ["key", "did you mean name?"],
])("cookie.%s suggests the right key", (key, hint) => {
  const error = errorOf({ secret: TEST_SECRET, cookie: { [key]: 1 } });
  expect(error).toBeInstanceOf(TypeError);
  expect(error.message).toContain(`option cookie.${key} is unknown; ${hint}`);
  expect(error.message).toContain("valid keys: name, domain");
});

test("an unknown name with no likely meaning gets no guess, only the valid list", () => {
  const top = errorOf({ secret: TEST_SECRET, colour: "blue" });
  expect(top.message).toBe(
    `option colour is unknown; valid options: secret, format, oversize, cookie, lifetime, absoluteLifetime, refresh, now, onInvalid, store, storeTimeout, onError, unsafeAllowWeakSecret, owner, track, token, revocation, schema, version, migrate, validate, onCreate, onRegenerate, onDestroy, onRefresh, onOldKey`,
  );
  const cookie = errorOf({ secret: TEST_SECRET, cookie: { colour: "blue" } });
  expect(cookie.message).toBe("option cookie.colour is unknown; valid keys: name, domain, path, secure, httpOnly, sameSite, partitioned");
});

test("keys inherited from Object.prototype are not taken for aliases", () => {
  expect(errorOf({ secret: TEST_SECRET, toString: 1 }).message).toMatch(/^option toString is unknown; valid options/);
  expect(errorOf({ secret: TEST_SECRET, cookie: { constructor: 1 } }).message).toMatch(/^option cookie.constructor is unknown; valid keys/);
});
