// request.ts: what `secure: "auto"` decides from the request (security finding OR-3).

import { expect, test } from "vitest";
import { autoSecure } from "../src/request.ts";

const at = (url: string, headers: Record<string, string> = {}) => autoSecure(new Request(url, { headers }));

test("https is always Secure, silently", () => {
  expect(at("https://app.example/")).toEqual({ secure: true });
  expect(at("https://127.0.0.1/")).toEqual({ secure: true });
});

test("plain http to loopback with no proxy header: local development, Secure dropped, and said", () => {
  for (const url of ["http://localhost:3000/", "http://127.0.0.1/", "http://127.8.0.1/", "http://[::1]:8080/", "http://app.localhost/"]) {
    const decision = at(url);
    expect([decision.secure, decision.warn], url).toEqual([false, "dropped"]);
    expect(decision.message).toContain("proxy_set_header Host $host");
  }
});

test("any proxy header keeps Secure on loopback (nginx forwards Host: 127.0.0.1 by default)", () => {
  for (const name of ["forwarded", "x-forwarded-proto", "x-forwarded-for", "x-forwarded-host", "x-forwarded-ssl", "x-real-ip", "via", "cf-visitor"]) {
    const decision = at("http://127.0.0.1:8080/", { [name]: "x" });
    expect([decision.secure, decision.warn], name).toEqual([true, "kept"]);
    expect(decision.message).toContain(`through a proxy: ${name}`);
  }
});

test("plain http to any other host keeps Secure and says why the browser may drop it", () => {
  const decision = at("http://app.example/");
  expect([decision.secure, decision.warn]).toEqual([true, "kept"]);
});

test("a request without a usable URL is Secure", () => {
  expect(autoSecure(undefined)).toEqual({ secure: true });
  expect(autoSecure({ url: "not a url", headers: new Headers() })).toEqual({ secure: true });
});
