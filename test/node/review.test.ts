// Findings of the attack review of this wave, for the Node adapters: what reaches a log line,
// and an option the adapters cannot carry.

import { afterEach, expect, test, vi } from "vitest";
import { sessionPlugin } from "../../adapters/fastify.ts";
import { logError } from "../../adapters/node-common.ts";
import { session, withSession } from "../../adapters/node.ts";
import { SessionError } from "../../src/errors.ts";
import { safeText } from "../../src/errors.ts";
import { TEST_SECRET } from "../helpers.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

test("the default error line has the path without its query, and no control characters from input", () => {
  const lines: string[] = [];
  vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
  logError(new SessionError("unserializable", "session value at session.prefs.a\n2025-01-01 INFO admin login ok \u001b[2J is NaN"), {
    url: "/reset?token=SECRET-RESET-TOKEN&email=a@b",
    headers: {},
  } as never);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain("websession: /reset: ");
  expect(lines[0]).not.toContain("SECRET-RESET-TOKEN");
  expect(lines[0]).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  expect(lines[0]).toContain("\\u000a2025-01-01 INFO");
});

test("safeText escapes C0, DEL, C1, bidi controls and line separators, and nothing else", () => {
  expect(safeText("a\u0000b\u001b[2J\u007f\u0085\u202e\u2028é✓")).toBe("a\\u0000b\\u001b[2J\\u007f\\u0085\\u202e\\u2028é✓");
});

test("the Node, Express and Fastify adapters refuse option token at start-up instead of ignoring it", async () => {
  const token = { header: "x-session-token" } as never;
  expect(() => withSession({ secret: TEST_SECRET, token }, () => {})).toThrow(/option token \(header tokens\) is not supported by this adapter/);
  expect(() => session({ secret: TEST_SECRET, token })).toThrow(/option token/);
  await expect(sessionPlugin({} as never, { secret: TEST_SECRET, token })).rejects.toThrow(/option token/);
});
