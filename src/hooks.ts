// Lifecycle hooks: `validate` may reject a session before the handler sees it; the others are
// told what a commit did, after it was decided and carried out, so they can neither change
// what is written nor, by throwing, leave anything half-written.

import { describe } from "./errors.ts";
import type { Decision } from "./policy.ts";
import type { RequestLike } from "./request.ts";
import { sessionInternals } from "./session.ts";
import type { Session } from "./session.ts";

/** A hook told about a commit: the session (committed, so read-only) and its request. */
export type LifecycleHook<Data extends object> = (session: Session<Data>, request: RequestLike) => void | Promise<void>;

/** The lifecycle options of {@link createSessions}. */
export interface HookOptions<Data extends object = Record<string, unknown>> {
  /**
   * Runs on every request whose session was loaded from a valid cookie (or store record),
   * before the handler. Return `false` to reject it (after a password change, a revoked
   * device): the handler gets an empty new session, its cookie is deleted in the response
   * (and its store record with it), and `onInvalid` hears `"rejected"`. It may read and change
   * the session; may be async. If it throws, `load` (and `handle`) rejects with that error and
   * no session is used.
   */
  validate?: (session: Session<Data>, request: RequestLike) => boolean | Promise<boolean>;
  /** After a commit wrote a session that had no valid cookie before (a first login, a first visit that stored something). */
  onCreate?: LifecycleHook<Data>;
  /** After a commit that moved the session to a new token or id because `regenerate()` ran. */
  onRegenerate?: LifecycleHook<Data>;
  /** After a commit that deleted the session (`destroy()`, or a session emptied by `clear()`/`validate`). */
  onDestroy?: LifecycleHook<Data>;
  /** After a commit that only re-issued a permanent session's cookie with a new expiry (the `refresh` option). */
  onRefresh?: LifecycleHook<Data>;
  /** After a commit that re-issued, under the current secret, a cookie that verified only with an older one. */
  onOldKey?: LifecycleHook<Data>;
}

/** The option names this file adds (for the unknown-option check). */
export const HOOK_KEYS = ["validate", "onCreate", "onRegenerate", "onDestroy", "onRefresh", "onOldKey"] as const;

// Sessions that validate rejected: new to the handler, yet their deletion destroys one that existed.
const rejected = new WeakSet<Session<any>>();

type NotifyKey = Exclude<(typeof HOOK_KEYS)[number], "validate">;

/** The validated hooks of one createSessions. */
export interface ResolvedHooks {
  readonly validate: HookOptions<any>["validate"];
  /** Whether any hook after a commit is set (then the mode reports its decision). */
  readonly notifies: boolean;
  readonly notify: Readonly<Partial<Record<NotifyKey, LifecycleHook<any>>>>;
}

/** Validates the hook options; `undefined` when none is set. */
export function resolveHooks(options: HookOptions<any>): ResolvedHooks | undefined {
  const notify: Partial<Record<NotifyKey, LifecycleHook<any>>> = {};
  for (const key of HOOK_KEYS) {
    const hook = options[key];
    if (hook === undefined) continue;
    if (typeof hook !== "function") throw new TypeError(`option ${key} must be a function, got ${describe(hook)}`);
    if (key !== "validate") notify[key] = hook as LifecycleHook<any>;
  }
  const notifies = Object.keys(notify).length > 0;
  if (!notifies && options.validate === undefined) return undefined;
  return { validate: options.validate, notifies, notify };
}

/**
 * Runs `validate` on a session loaded from a valid cookie; a rejected one is destroyed (so its
 * cookie and record go at commit) and starts over as a new, empty session.
 */
export async function runValidate(session: Session<any>, request: RequestLike, hooks: ResolvedHooks, reject: (reason: "rejected") => null): Promise<void> {
  const validate = hooks.validate;
  if (validate === undefined) return;
  const i = sessionInternals(session);
  // Peeking at isNew must not count as the handler using the session.
  const accessed = i.accessed;
  const isNew = session.isNew;
  i.accessed = accessed;
  if (isNew) return;
  if ((await validate(session, request)) !== false) return;
  session.destroy();
  i.isNew = true;
  rejected.add(session);
  reject("rejected");
}

/** Which hooks a carried-out decision calls, in order. */
export function hooksFor(session: Session<any>, decision: Decision, wasNew: boolean): NotifyKey[] {
  const i = sessionInternals(session);
  switch (decision.action) {
    case "none":
      return [];
    case "delete":
      return wasNew && !rejected.has(session) ? [] : ["onDestroy"];
    case "refresh":
      return ["onRefresh"];
    case "write": {
      const called: NotifyKey[] = [];
      if (wasNew) called.push("onCreate");
      else if (i.regenerated) called.push("onRegenerate");
      if (i.state.stale === true) called.push("onOldKey");
      return called;
    }
  }
}

/**
 * Calls the hooks for a carried-out decision. The session is already committed (a change
 * throws `already_committed`); a hook that throws or rejects is logged and the response
 * stands, since what it reports has already happened.
 */
export async function notify(session: Session<any>, request: RequestLike, hooks: ResolvedHooks, called: readonly NotifyKey[]): Promise<void> {
  for (const key of called) {
    const hook = hooks.notify[key];
    if (hook === undefined) continue;
    try {
      await hook(session, request);
    } catch (error) {
      console.error(`websession: the ${key} hook threw (the session was written as decided): ${error instanceof Error ? error.message : describe(error)}`);
    }
  }
}
