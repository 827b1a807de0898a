// The part of Bun's types the docs' Bun snippets use, copied in shape from bun-types 1.3
// (packages/bun-types/serve.d.ts and redis.d.ts): without `websocket`, `fetch` must return
// `MaybePromise<Response>`; only with a `websocket` handler may it return `undefined` (after
// `server.upgrade`). No @types/bun is installed here, so this file stands in for it; keep it
// no looser than bun-types.
declare namespace Bun {
  type MaybePromise<T> = T | Promise<T>;
  interface SocketAddress {
    readonly address: string;
    readonly port: number;
    readonly family: "IPv4" | "IPv6";
  }
  interface Server<WebSocketData = undefined> {
    readonly port: number | undefined;
    readonly url: URL;
    stop(closeActiveConnections?: boolean): Promise<void>;
    requestIP(request: Request): SocketAddress | null;
    upgrade(request: Request, options?: { headers?: HeadersInit; data?: WebSocketData }): boolean;
  }
  interface ServerWebSocket<T> {
    send(data: string | BufferSource, compress?: boolean): number;
    readonly data: T;
  }
  interface WebSocketHandler<T> {
    message(ws: ServerWebSocket<T>, message: string | Uint8Array): void | Promise<void>;
    open?(ws: ServerWebSocket<T>): void | Promise<void>;
  }
  interface BaseServeOptions {
    hostname?: string;
    port?: string | number;
    development?: boolean;
  }
  type ServeOptions<WebSocketData> =
    | (BaseServeOptions & {
        websocket?: undefined;
        fetch(this: Server<WebSocketData>, request: Request, server: Server<WebSocketData>): MaybePromise<Response>;
      })
    | (BaseServeOptions & {
        websocket: WebSocketHandler<WebSocketData>;
        fetch(this: Server<WebSocketData>, request: Request, server: Server<WebSocketData>): MaybePromise<Response | void | undefined>;
      });
  function serve<WebSocketData = undefined>(options: ServeOptions<WebSocketData>): Server<WebSocketData>;
  const env: Record<string, string | undefined>;
}

declare module "bun" {
  /** Bun's built-in Redis client (bun-types redis.d.ts): raw commands through `send`. */
  export class RedisClient {
    constructor(url?: string, options?: Record<string, unknown>);
    send(command: string, args: string[]): Promise<any>;
    close(): void;
  }
  /** The default client, configured from `REDIS_URL`. */
  export const redis: RedisClient;
  export type Server<WebSocketData = undefined> = Bun.Server<WebSocketData>;
}
