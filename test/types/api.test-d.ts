// Type tests of issue #19's API (schema inference, storable data, hooks, several sessions):
// checked by `tsc -p test/types`, never executed.
import { Hono } from "hono";
import * as v from "valibot";
import { expectTypeOf } from "vitest";
import { z } from "zod";
import { withSession as bunSession } from "../../adapters/bun.ts";
import { withSession as denoSession } from "../../adapters/deno.ts";
import { session } from "../../adapters/hono.ts";
import type { SessionEnv } from "../../adapters/hono.ts";
import { withSession as workerSession } from "../../adapters/workers.ts";
import { createSessions } from "../../src/index.ts";
import { Tuple } from "../../src/codecs/flask/values.ts";
import type { InvalidReason, Session, SessionErrorCode, StandardSchemaV1 } from "../../src/index.ts";

declare const request: Request;
const secret = "x".repeat(40);

// The schema gives Data its type: Zod...
const zodSessions = createSessions({ secret, schema: z.object({ user: z.string().optional(), visits: z.number().default(0) }) });
const zs = await zodSessions.load(request);
expectTypeOf(zs).toEqualTypeOf<Session<{ user?: string | undefined; visits: number }>>();
expectTypeOf(zs.get("visits")).toEqualTypeOf<number | undefined>();
// @ts-expect-error: a value the schema's type refuses
zs.set("visits", "many");
// @ts-expect-error: a key the schema does not have
zs.get("admin");

// ...and Valibot, and a hand-written Standard Schema.
const valibotSessions = createSessions({ secret, schema: v.object({ role: v.picklist(["admin", "member"]) }) });
expectTypeOf(await valibotSessions.load(request)).toEqualTypeOf<Session<{ role: "admin" | "member" }>>();
declare const handWritten: StandardSchemaV1<unknown, { n?: number }>;
expectTypeOf(await createSessions({ secret, schema: handWritten }).load(request)).toEqualTypeOf<Session<{ n?: number }>>();

// The hooks see the schema's data type.
createSessions({
  secret,
  schema: z.object({ user: z.string().optional(), passwordVersion: z.number().optional() }),
  validate: (s) => {
    expectTypeOf(s.get("passwordVersion")).toEqualTypeOf<number | undefined>();
    return true;
  },
  onCreate: (s) => {
    expectTypeOf(s.get("user")).toEqualTypeOf<string | undefined>();
  },
  version: 2,
  migrate: (data, fromVersion) => {
    expectTypeOf(fromVersion).toEqualTypeOf<number>();
    return data;
  },
});

// The new codes and reasons are part of the unions.
expectTypeOf<"invalid_data">().toMatchTypeOf<SessionErrorCode>();
expectTypeOf<"schema" | "rejected">().toMatchTypeOf<InvalidReason>();

// expiresAt and set(key, undefined).
const plain = await createSessions<{ user?: string; n: number }>({ secret }).load(request);
expectTypeOf(plain.expiresAt).toEqualTypeOf<Date | undefined>();
plain.set("user", undefined);
// @ts-expect-error: a required key cannot be set to undefined (it would be deleted)
plain.set("n", undefined);

// Data refuses what the format cannot carry: functions, symbols, Maps, and Dates, BigInts and
// bytes except in Flask's format.
createSessions<{ user?: string; tags: string[]; nested: { ok: boolean | null } }>({ secret });
// @ts-expect-error: a function cannot be stored
createSessions<{ callback: () => void }>({ secret });
// @ts-expect-error: a symbol cannot be stored
createSessions<{ id: symbol }>({ secret });
// @ts-expect-error: a Map cannot be stored
createSessions<{ seen: Map<string, number> }>({ secret });
// @ts-expect-error: the signed format's JSON has no dates
createSessions<{ at: Date }>({ secret });
// @ts-expect-error: nor a nested one
createSessions<{ log: Array<{ at: Date }> }>({ secret, format: "sealed" });
// @ts-expect-error: a schema whose output holds a Date, with a JSON format
createSessions({ secret, schema: z.object({ at: z.date() }) });
// Flask's tagged JSON carries dates, BigInts, bytes and tuples.
createSessions<{ at: Date; big: bigint; raw: Uint8Array; pair: Tuple }, "flask">({ secret, format: "flask" });
createSessions({ secret, format: "flask", schema: z.object({ at: z.date() }) });
// The adapters check it too.
// @ts-expect-error: a function, through Hono
session<{ callback: () => void }>({ secret });
// @ts-expect-error: a Date, through Workers
workerSession<{ at: Date }>({ secret }, () => new Response("ok"));
// @ts-expect-error: a Date, through Deno
denoSession<{ at: Date }>({ secret }, () => new Response("ok"));
// @ts-expect-error: a Date, through Bun
bunSession<{ at: Date }>({ secret }, () => new Response("ok"));

// Several sessions in one Hono app, each under its own key.
type Auth = { user?: string };
type Device = { deviceId?: string };
const app = new Hono<SessionEnv<Device, "device"> & SessionEnv<Auth>>()
  .use(session<Device, "device">({ secret, cookie: { name: "device" } }, { key: "device" }))
  .use(session<Auth>({ secret, cookie: { name: "auth" } }));
app.get("/", (c) => {
  expectTypeOf(c.get("device")).toEqualTypeOf<Session<Device>>();
  expectTypeOf(c.get("session")).toEqualTypeOf<Session<Auth>>();
  return c.text("ok");
});
// With the data type from a schema, the key is inferred from the middleware options too.
new Hono().use(session({ secret, schema: z.object({ deviceId: z.string().optional() }) }, { key: "device" })).get("/", (c) => {
  expectTypeOf(c.get("device")).toEqualTypeOf<Session<{ deviceId?: string | undefined }>>();
  return c.text("ok");
});
