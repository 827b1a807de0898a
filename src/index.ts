// websession: Flask's session for the Web platform. Public exports only.

export { createSessions, MAX_COOKIE_SIZE } from "./sessions.ts";
export type { CommitOptions, HandleOptions, RequestLike, Sessions, SessionHandler, SessionWrites } from "./sessions.ts";
export { Session } from "./session.ts";
export type { SessionData, Flash, FlashesOptions, RegenerateOptions } from "./session.ts";
export type { SessionsOptions, SessionFormat, OversizePolicy } from "./options.ts";
export { MAX_CHUNKS } from "./chunks.ts";
export type { CookieOptions, CookieWrite, SameSite } from "./cookie.ts";
export { memoryStore } from "./stores/memory.ts";
export type { MemoryStore, MemoryStoreOptions } from "./stores/memory.ts";
export type { SessionStore, StorePatch, StoreRecord } from "./stores/store.ts";
export type { Secret } from "./secret.ts";
export { generateSecret } from "./secret.ts";
export { SessionError } from "./errors.ts";
export type { InvalidReason, SessionErrorCode } from "./errors.ts";
export type { OwnedSession, OwnerApi, RevokeAllOptions, TrackOptions } from "./owners.ts";
export type { RevocationOptions } from "./revocation.ts";
export type { OwnerIndex } from "./stores/store.ts";
export type { TokenOptions } from "./tokens.ts";
export { CSRF_FIELD, CSRF_HEADER } from "./csrf.ts";
export type { CarriedBy, SchemaOptions, StandardSchemaV1, Storable, StorableOptions } from "./schema.ts";
export type { HookOptions, LifecycleHook } from "./hooks.ts";
