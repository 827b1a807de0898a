// The part of @cloudflare/workers-types the docs' Worker snippets use (no workers-types package
// is installed here), with the same signatures: a KV namespace and the execution context.
interface KVNamespace<Key extends string = string> {
  get(key: Key, type?: "text"): Promise<string | null>;
  put(key: Key, value: string, options?: { expiration?: number; expirationTtl?: number; metadata?: unknown }): Promise<void>;
  delete(key: Key): Promise<void>;
}

interface ExecutionContext {
  waitUntil(promise: Promise<any>): void;
  passThroughOnException(): void;
}
