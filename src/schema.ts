// Validated, versioned session data: a Standard Schema validator checks what is read (a
// failure is an empty session reported as "schema") and what is written (a failure throws
// invalid_data at commit); `version` + `migrate` upgrade data written by older code.
//
// The version rides inside what is signed as the reserved data key VERSION_KEY: it is taken
// out of the data when a session is loaded and put back only while the mode encodes it, so
// the handler never sees it and the codecs need no change.

import { SessionError, describe } from "./errors.ts";
import type { InvalidReason } from "./errors.ts";
import { emptyState, isEmpty, runLoader, sessionInternals, snapshotOf, wasChanged } from "./session.ts";
import type { Session } from "./session.ts";
import type { SessionFormat, SessionsOptions } from "./options.ts";
import type { Markup, PyFloat, Tuple, UUID } from "./codecs/flask/values.ts";

type Leaf = string | number | boolean | null | undefined;

/**
 * Nothing when every value of `Data` is one the cookie `Format` can carry; otherwise a
 * property the options lack, so `createSessions` fails to compile, naming the problem. A
 * `Format` that is not exactly `"flask"` (with `createSessions<Data>` it defaults to every
 * format) carries no `Date`: write `createSessions<Data, "flask">` for Flask's dates.
 */
export type CarriedBy<Data, Format extends SessionFormat> = [Data] extends [Storable<Data, Format>]
  ? unknown
  : { readonly 'Data holds a value this format cannot carry (a function, symbol, Map or Set; a Date, bigint or Uint8Array outside format: "flask")': never };

/** Options of `createSessions<Data>` or an adapter, with the values `Data` holds checked ({@link CarriedBy}). */
export type StorableOptions<Data extends object> = SessionsOptions<Data> & CarriedBy<Data, SessionFormat>;

/**
 * `T` where every value is one the cookie `Format` (or a store) can carry, and `never` in
 * place of any other: functions, symbols, `Map`, `Set`, and, except with `format: "flask"`
 * (whose tagged JSON has them), `Date`, `bigint`, `Uint8Array`, `Tuple`, `UUID`, `Markup` and `PyFloat`. `createSessions` requires
 * `Data` to extend it ({@link CarriedBy}), so such a value fails to compile instead of failing
 * at commit.
 */
export type Storable<T, Format extends SessionFormat = SessionFormat> = unknown extends T
  ? T
  : T extends Leaf
    ? T
    : T extends ((...args: any[]) => unknown) | symbol
      ? never
      : [Format] extends ["flask"]
        ? T extends Date | bigint | Uint8Array | Tuple | UUID | Markup | PyFloat
          ? T
          : StorableObject<T, Format>
        : T extends Date | bigint | Uint8Array
          ? never
          : StorableObject<T, Format>;

// Plain objects and arrays, member by member (a class instance's methods make it never).
type StorableObject<T, Format extends SessionFormat> = T extends Map<unknown, unknown> | Set<unknown> | RegExp | Promise<unknown> | WeakMap<object, unknown>
  ? never
  : T extends object
    ? { [K in keyof T]: Storable<T[K], Format> }
    : never;

/**
 * The Standard Schema interface (https://standardschema.dev, v1), copied as its authors
 * recommend so that websession needs no runtime dependency: Zod, Valibot, ArkType and others
 * implement it.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": StandardSchemaV1.Props<Input, Output>;
}

/** The types of the Standard Schema interface. */
export declare namespace StandardSchemaV1 {
  /** The `~standard` property of a validator. */
  export interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    readonly types?: Types<Input, Output> | undefined;
  }
  /** What `validate` returns. */
  export type Result<Output> = SuccessResult<Output> | FailureResult;
  /** A value that passed, as the validator outputs it. */
  export interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  /** A value that failed, with its issues. */
  export interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  /** One reason a value failed. */
  export interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  /** A path segment given as an object. */
  export interface PathSegment {
    readonly key: PropertyKey;
  }
  /** The input and output types a validator declares. */
  export interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  /** The output type of a validator. */
  export type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema["~standard"]["types"]>["output"];
}

/**
 * The data key that carries the `version` of the data inside the signed cookie (or the store
 * record). Reserved: the handler never sees it, and a value the app sets under it is replaced.
 */
export const VERSION_KEY = "_v";

/** The options of {@link createSessions} about the data's shape. */
export interface SchemaOptions<Data extends object = Record<string, unknown>> {
  /**
   * A Standard Schema validator for the session data (a Zod or Valibot object, an ArkType
   * type, ...), which also gives `Data` its type. Data read from a cookie or store that fails
   * it is an empty session, reported to `onInvalid` as `"schema"`; data that fails it at commit
   * throws `SessionError` (`invalid_data`) before anything is written. What the validator
   * outputs on read (defaults, transforms) is what the handler sees. Async validators work.
   */
  schema?: StandardSchemaV1<unknown, Data>;
  /**
   * The version of the data's shape, a whole number from 1: written with every session, so
   * data written under an older version is passed to `migrate` when it is read. Data written
   * before `version` was set counts as version 0.
   */
  version?: number;
  /**
   * Upgrades data written under an older `version` (`fromVersion`) to the current shape,
   * before `schema` checks it; may be async. The upgraded session is written back in the same
   * response. Returning nothing, throwing, or data from a newer version than this code's is an
   * empty session reported as `"schema"`.
   */
  migrate?: (data: Record<string, unknown>, fromVersion: number) => Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** The validated schema options of one createSessions. */
export interface ResolvedSchema {
  readonly schema: StandardSchemaV1 | undefined;
  readonly version: number | undefined;
  readonly migrate: SchemaOptions["migrate"];
}

/** The option names this file adds (for the unknown-option check). */
export const SCHEMA_KEYS = ["schema", "version", "migrate"] as const;

/** Validates the schema options; `undefined` when none is set (then nothing here runs). */
export function resolveSchema(options: SchemaOptions<any>): ResolvedSchema | undefined {
  const { schema, version, migrate } = options;
  if (schema !== undefined) {
    const standard = typeof schema === "object" || typeof schema === "function" ? (schema as Partial<StandardSchemaV1>)?.["~standard"] : undefined;
    if (standard === undefined || standard === null || standard.version !== 1 || typeof standard.validate !== "function") {
      throw new TypeError(
        `option schema must be a Standard Schema validator (a Zod or Valibot schema, an ArkType type, ...: an object with "~standard".validate), got ${describe(schema)}`,
      );
    }
  }
  if (version !== undefined && (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1)) {
    throw new RangeError(`option version is invalid: ${describe(version)}; use a whole number from 1, raised whenever the data's shape changes`);
  }
  if (migrate !== undefined && typeof migrate !== "function")
    throw new TypeError(`option migrate must be a function (data, fromVersion) => data, got ${describe(migrate)}`);
  if (migrate !== undefined && version === undefined)
    throw new TypeError(`option migrate needs option version: the version the data is migrated to (a whole number from 1)`);
  if (schema === undefined && version === undefined) return undefined;
  return { schema: schema as StandardSchemaV1 | undefined, version, migrate };
}

/**
 * Brings a just-opened session's data to the current shape, before the handler sees it:
 * decodes it now (an async validator or `migrate` cannot run inside a synchronous method),
 * takes out the version, migrates, validates. A failure leaves an empty, new session and
 * reports `"schema"`. Does not mark the session accessed unless it migrated (then it is
 * written back).
 */
export async function prepareData(session: Session<any>, resolved: ResolvedSchema, reject: (reason: InvalidReason) => null): Promise<void> {
  const i = sessionInternals(session);
  runLoader(i);
  if (i.isNew) return;
  const data = i.state.data;
  const stored = data.get(VERSION_KEY);
  data.delete(VERSION_KEY);
  const from = stored === undefined ? 0 : stored;
  let value: Record<string, unknown> = Object.fromEntries(data);
  let migrated = false;
  try {
    if (resolved.version !== undefined && from !== resolved.version) {
      if (typeof from !== "number" || !Number.isSafeInteger(from) || from < 0 || from > resolved.version || resolved.migrate === undefined)
        return fail(session, reject);
      const upgraded = await resolved.migrate(value, from);
      if (typeof upgraded !== "object" || upgraded === null || Array.isArray(upgraded)) return fail(session, reject);
      value = upgraded;
      migrated = true;
    }
    if (resolved.schema !== undefined) {
      const result = await resolved.schema["~standard"].validate(value);
      if (result.issues !== undefined) return fail(session, reject);
      value = result.value as Record<string, unknown>;
    }
  } catch {
    // A throwing validator or migrate is bad data, never a 500.
    return fail(session, reject);
  }
  if (migrated || resolved.schema !== undefined) {
    data.clear();
    for (const key of Object.keys(value)) if (key !== VERSION_KEY) data.set(key, value[key]);
  }
  if (migrated) {
    // Written back in this response under the current version.
    i.accessed = true;
    i.modified = true;
  }
}

// The data did not pass: the handler gets an empty new session (like any rejected cookie); a
// store's record is replaced whole if the session is written.
function fail(session: Session<any>, reject: (reason: InvalidReason) => null): void {
  const i = sessionInternals(session);
  i.state = emptyState();
  i.isNew = true;
  i.cleared = true;
  i.snapshot = undefined;
  reject("schema");
}

/**
 * Before the mode encodes a session: checks changed data against the schema (throwing
 * `invalid_data` before anything is written), then puts the version key in. Returns the undo
 * that takes the version key out again, run whatever the save's outcome.
 */
export async function beforeSave(session: Session<any>, resolved: ResolvedSchema): Promise<() => void> {
  const i = sessionInternals(session);
  const state = i.state;
  const changed = wasChanged(i);
  if (resolved.schema !== undefined && changed && !isEmpty(state)) {
    const value = Object.fromEntries(state.data);
    delete value[VERSION_KEY];
    let result: StandardSchemaV1.Result<unknown>;
    try {
      result = await resolved.schema["~standard"].validate(value);
    } catch (error) {
      throw new SessionError(
        "invalid_data",
        `the session data could not be validated: the schema threw ${error instanceof Error ? error.message : describe(error)}; nothing was written`,
        { cause: error },
      );
    }
    if (result.issues !== undefined) {
      throw new SessionError(
        "invalid_data",
        `the session data does not match option schema: ${result.issues.slice(0, 3).map(issueText).join("; ")}; fix the value set in the handler. Nothing was written; the previous cookie stays`,
      );
    }
  }
  if (resolved.version === undefined || state.data.size === 0) return noop;
  state.data.set(VERSION_KEY, resolved.version);
  // The key is no change of the app's: keep commit's "what was read" comparison true to it.
  if (!changed && i.snapshot !== undefined) i.snapshot = snapshotOf(state.data);
  return function undo() {
    state.data.delete(VERSION_KEY);
    if (!changed && i.snapshot !== undefined) i.snapshot = snapshotOf(state.data);
  };
}

function noop(): void {}

// "session.cart.0: Expected string" (never the value itself: it may be a secret).
function issueText(issue: StandardSchemaV1.Issue): string {
  const path = (issue.path ?? []).map((segment) => String(typeof segment === "object" && segment !== null ? segment.key : segment));
  return `${["session", ...path].join(".")}: ${issue.message}`;
}
