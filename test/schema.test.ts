// The schema, version and migrate options, with real Zod and Valibot validators: what fails
// on read is an empty session reported as "schema" (never a 500), what fails on write is
// SessionError("invalid_data") before anything is written, and old data is migrated in place.

import * as v from "valibot";
import { describe, expect, expectTypeOf, test, vi } from "vitest";
import { z } from "zod";
import { SessionError } from "../src/errors.ts";
import type { InvalidReason } from "../src/errors.ts";
import { VERSION_KEY } from "../src/schema.ts";
import type { StandardSchemaV1 } from "../src/schema.ts";
import type { Session } from "../src/session.ts";
import { createSessions } from "../src/sessions.ts";
import { memoryStore } from "../src/stores/memory.ts";
import { TEST_SECRET, clock, cookieOf, requestWith } from "./helpers.ts";

const zodUser = z.object({ user: z.string().optional(), visits: z.number().int().default(0), cart: z.array(z.string()).optional() });

// A cookie holding `data`, written by a manager without a schema (old code, or a forger with the key).
async function cookieHolding(data: Record<string, unknown>, options: { now?: () => number; version?: number } = {}): Promise<string> {
  const plain = createSessions({ secret: TEST_SECRET, now: options.now });
  const session = await plain.load(requestWith());
  session.update(data);
  return cookieOf(await plain.commit(session, new Response("ok")));
}

// What a cookie holds, read by a manager without a schema (so the version key shows).
async function rawData(cookie: string): Promise<Record<string, unknown>> {
  const plain = createSessions({ secret: TEST_SECRET });
  return (await plain.load(requestWith(cookie))).toJSON();
}

describe("schema with Zod", () => {
  test("Data is inferred from the schema's output", () => {
    const sessions = createSessions({ secret: TEST_SECRET, schema: zodUser });
    expectTypeOf(sessions.load).returns.resolves.toEqualTypeOf<Session<{ user?: string | undefined; visits: number; cart?: string[] | undefined }>>();
  });

  test("valid data reads back as the validator outputs it (defaults applied)", async () => {
    const sessions = createSessions({ secret: TEST_SECRET, schema: zodUser });
    const cookie = await cookieHolding({ user: "ada" });
    const session = await sessions.load(requestWith(cookie));
    expect(session.isNew).toBe(false);
    expect(session.toJSON()).toEqual({ user: "ada", visits: 0 });
  });

  test("data failing the schema on read is an empty session reported as schema, never a 500", async () => {
    const reasons: InvalidReason[] = [];
    const sessions = createSessions({ secret: TEST_SECRET, schema: zodUser, onInvalid: (r) => reasons.push(r) });
    const cookie = await cookieHolding({ user: 42, visits: "many" });
    const response = await sessions.handle((_request, session) => new Response(`user=${session.get("user") ?? "none"} new=${session.isNew}`))(
      requestWith(cookie),
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("user=none new=true");
    expect(reasons).toEqual(["schema"]);
    // The rejected cookie is left alone, like any invalid cookie (Flask's behaviour).
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  test("a session rejected on read can be filled again: the write replaces the bad data", async () => {
    const sessions = createSessions({ secret: TEST_SECRET, schema: zodUser, onInvalid: () => {} });
    const session = await sessions.load(requestWith(await cookieHolding({ user: 42, junk: true })));
    session.set("user", "grace");
    const response = await sessions.commit(session, new Response("ok"));
    expect(await rawData(cookieOf(response))).toEqual({ user: "grace" });
  });

  test("data failing the schema on write throws invalid_data at commit, naming the path, and writes nothing", async () => {
    const sessions = createSessions({ secret: TEST_SECRET, schema: zodUser });
    const session = await sessions.load(requestWith());
    // A value the type allows is checked at run time too (here a whole number).
    session.set("visits", 1.5);
    const error = await sessions.commit(session, new Response("ok")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionError);
    expect((error as SessionError).code).toBe("invalid_data");
    expect((error as SessionError).message).toMatch(/session\.visits: /);
    expect((error as SessionError).message).not.toContain("1.5");
    // Nothing was written: the app may fix the session and commit again.
    session.set("visits", 2);
    const response = await sessions.commit(session, new Response("ok"));
    expect(await rawData(cookieOf(response))).toEqual({ visits: 2 });
  });

  test("handle() answers 500 for data that fails the schema on write, with one log line", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const sessions = createSessions({ secret: TEST_SECRET, schema: zodUser });
      const response = await sessions.handle((_request, session) => {
        (session as unknown as Session<Record<string, unknown>>).set("cart", "not an array");
        return new Response("ok");
      })(requestWith());
      expect(response.status).toBe(500);
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(errors).toHaveBeenCalledTimes(1);
      expect(String(errors.mock.calls[0]![0])).toContain("invalid_data");
    } finally {
      errors.mockRestore();
    }
  });

  test("an async validator works on read and on write", async () => {
    const asyncSchema = z.object({ user: z.string().optional() }).refine(async (d) => d.user !== "mallory", "banned");
    const reasons: InvalidReason[] = [];
    const sessions = createSessions({ secret: TEST_SECRET, schema: asyncSchema, onInvalid: (r) => reasons.push(r) });
    expect((await sessions.load(requestWith(await cookieHolding({ user: "ada" })))).get("user")).toBe("ada");
    expect((await sessions.load(requestWith(await cookieHolding({ user: "mallory" })))).isNew).toBe(true);
    expect(reasons).toEqual(["schema"]);
    const session = await sessions.load(requestWith());
    session.set("user", "mallory");
    await expect(sessions.commit(session, new Response("ok"))).rejects.toMatchObject({ code: "invalid_data" });
  });

  test("a validator that throws is bad data on read (schema) and invalid_data on write", async () => {
    const throwing: StandardSchemaV1<unknown, { user?: string }> = {
      "~standard": {
        version: 1,
        vendor: "test",
        validate() {
          throw new Error("validator bug");
        },
      },
    };
    const reasons: InvalidReason[] = [];
    const sessions = createSessions({ secret: TEST_SECRET, schema: throwing, onInvalid: (r) => reasons.push(r) });
    expect((await sessions.load(requestWith(await cookieHolding({ user: "ada" })))).isNew).toBe(true);
    expect(reasons).toEqual(["schema"]);
    const session = await sessions.load(requestWith());
    session.set("user", "ada");
    const error = (await sessions.commit(session, new Response("ok")).catch((e: unknown) => e)) as SessionError;
    expect(error.code).toBe("invalid_data");
    expect(error.message).toContain("the schema threw validator bug");
  });

  test("an untouched session costs no validation and writes nothing", async () => {
    let calls = 0;
    const counting: StandardSchemaV1<unknown, { user?: string }> = {
      "~standard": {
        version: 1,
        vendor: "test",
        validate(value) {
          calls++;
          return { value: value as { user?: string } };
        },
      },
    };
    const sessions = createSessions({ secret: TEST_SECRET, schema: counting });
    const session = await sessions.load(requestWith());
    const response = await sessions.commit(session, new Response("ok"));
    expect(calls).toBe(0);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get("Vary")).toBeNull();
  });
});

describe("schema with Valibot", () => {
  const schema = v.object({ user: v.optional(v.string()), role: v.optional(v.picklist(["admin", "member"])) });

  test("Data is inferred, valid data reads back, invalid data is rejected on read and write", async () => {
    const reasons: InvalidReason[] = [];
    const sessions = createSessions({ secret: TEST_SECRET, schema, onInvalid: (r) => reasons.push(r) });
    expectTypeOf(sessions.load).returns.resolves.toEqualTypeOf<Session<{ user?: string | undefined; role?: "admin" | "member" | undefined }>>();
    expect((await sessions.load(requestWith(await cookieHolding({ user: "ada", role: "admin" })))).toJSON()).toEqual({ user: "ada", role: "admin" });
    expect((await sessions.load(requestWith(await cookieHolding({ role: "root" })))).size).toBe(0);
    expect(reasons).toEqual(["schema"]);
    const session = await sessions.load(requestWith());
    (session as Session<Record<string, unknown>>).set("role", "root");
    const error = (await sessions.commit(session, new Response("ok")).catch((e: unknown) => e)) as SessionError;
    expect(error.code).toBe("invalid_data");
    expect(error.message).toContain("session.role:");
  });
});

describe("version and migrate", () => {
  const v2 = z.object({ user: z.object({ name: z.string() }).optional() });

  test("data of an older version is migrated, validated, and written back in the same response", async () => {
    const migrate = vi.fn((data: Record<string, unknown>, from: number) =>
      from === 0 && typeof data.user === "string" ? { user: { name: data.user } } : data,
    );
    const sessions = createSessions({ secret: TEST_SECRET, schema: v2, version: 2, migrate });
    const old = await cookieHolding({ user: "ada" });
    const response = await sessions.handle((_request, session) => new Response(JSON.stringify(session.toJSON())))(requestWith(old));
    expect(await response.text()).toBe('{"user":{"name":"ada"}}');
    expect(migrate).toHaveBeenCalledWith({ user: "ada" }, 0);
    // The version rides inside the signed payload; the handler never sees its key.
    const upgraded = cookieOf(response);
    expect(await rawData(upgraded)).toEqual({ user: { name: "ada" }, [VERSION_KEY]: 2 });
    // Read again: current, so no migration and (untouched) no write.
    migrate.mockClear();
    const again = await sessions.handle((_request, session) => new Response(session.keys().join(",")))(requestWith(upgraded));
    expect(await again.text()).toBe("user");
    expect(migrate).not.toHaveBeenCalled();
    expect(again.headers.getSetCookie()).toEqual([]);
  });

  test("fromVersion is the version the data was written under", async () => {
    const seen: number[] = [];
    const v1 = createSessions({ secret: TEST_SECRET, version: 1 });
    const s1 = await v1.load(requestWith());
    s1.set("user", "ada");
    const cookie = cookieOf(await v1.commit(s1, new Response("ok")));
    const v3 = createSessions({ secret: TEST_SECRET, version: 3, migrate: (data, from) => (seen.push(from), data) });
    expect((await v3.load(requestWith(cookie))).get("user")).toBe("ada");
    expect(seen).toEqual([1]);
  });

  test("a throwing migrate, a newer version, or no migrate is an empty session reported as schema", async () => {
    const reasons: InvalidReason[] = [];
    const onInvalid = (r: InvalidReason) => void reasons.push(r);
    const throwing = createSessions({
      secret: TEST_SECRET,
      version: 2,
      onInvalid,
      migrate: () => {
        throw new Error("cannot");
      },
    });
    expect((await throwing.load(requestWith(await cookieHolding({ user: "ada" })))).size).toBe(0);
    const v5 = createSessions({ secret: TEST_SECRET, version: 5 });
    const s5 = await v5.load(requestWith());
    s5.set("user", "ada");
    const newer = cookieOf(await v5.commit(s5, new Response("ok")));
    const v4 = createSessions({ secret: TEST_SECRET, version: 4, migrate: (d) => d, onInvalid });
    expect((await v4.load(requestWith(newer))).isNew).toBe(true);
    const noMigrate = createSessions({ secret: TEST_SECRET, version: 2, onInvalid });
    expect((await noMigrate.load(requestWith(await cookieHolding({ user: "ada" })))).isNew).toBe(true);
    expect(reasons).toEqual(["schema", "schema", "schema"]);
  });

  test("the version key never makes an unchanged session look changed (values read with get, a store)", async () => {
    const store = memoryStore();
    const sets = vi.spyOn(store, "set");
    const { now } = clock();
    const sessions = createSessions({ secret: TEST_SECRET, version: 1, store, now, refresh: false });
    const first = await sessions.load(requestWith());
    first.set("cart", ["tea"]);
    const cookie = cookieOf(await sessions.commit(first, new Response("ok")));
    expect(sets).toHaveBeenCalledTimes(1);
    const patches = vi.spyOn(store, "patch");
    // A mutable value read and left as is: nothing to write.
    const read = await sessions.load(requestWith(cookie));
    expect(read.get("cart")).toEqual(["tea"]);
    expect(read.keys()).toEqual(["cart"]);
    const response = await sessions.commit(read, new Response("ok"));
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(patches).not.toHaveBeenCalled();
    // Changed in place: one patch, and the version is still in the record.
    const changed = await sessions.load(requestWith(cookie));
    (changed.get("cart") as string[]).push("milk");
    await sessions.commit(changed, new Response("ok"));
    expect(patches).toHaveBeenCalledTimes(1);
    const after = await sessions.load(requestWith(cookie));
    expect(after.toJSON()).toEqual({ cart: ["tea", "milk"] });
  });

  test("with a store, data failing the schema is an empty session and the next write replaces the record", async () => {
    const store = memoryStore();
    const plain = createSessions({ secret: TEST_SECRET, store });
    const s = await plain.load(requestWith());
    s.update({ user: 7, extra: "x" });
    const cookie = cookieOf(await plain.commit(s, new Response("ok")));
    const reasons: InvalidReason[] = [];
    const sessions = createSessions({ secret: TEST_SECRET, store, schema: z.object({ user: z.string().optional() }), onInvalid: (r) => reasons.push(r) });
    const bad = await sessions.load(requestWith(cookie));
    expect(bad.isNew).toBe(true);
    expect(reasons).toEqual(["schema"]);
    bad.set("user", "ada");
    await sessions.commit(bad, new Response("ok"));
    expect((await plain.load(requestWith(cookie))).toJSON()).toEqual({ user: "ada" });
  });
});

describe("configuration", () => {
  test("a schema that is not a Standard Schema, a bad version, or migrate without version throws at start-up", () => {
    expect(() => createSessions({ secret: TEST_SECRET, schema: { parse() {} } as never })).toThrow(/option schema must be a Standard Schema validator/);
    expect(() => createSessions({ secret: TEST_SECRET, version: 0 })).toThrow(RangeError);
    expect(() => createSessions({ secret: TEST_SECRET, version: 1.5 })).toThrow(/option version is invalid: 1.5/);
    expect(() => createSessions({ secret: TEST_SECRET, migrate: (d) => d })).toThrow(/option migrate needs option version/);
    expect(() => createSessions({ secret: TEST_SECRET, validator: zodUser } as never)).toThrow(/did you mean schema/);
  });
});
