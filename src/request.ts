// What the core reads from a request, and the one rule it derives from it besides the cookie:
// whether `secure: "auto"` puts Secure on the cookie.

/**
 * The parts of a request the core reads: the `Cookie` header, and the URL and proxy headers
 * for `Secure` auto-detection. A `Request` is one; a Node adapter passes a light view instead.
 */
export interface RequestLike {
  readonly url: string;
  readonly headers: { get(name: string): string | null };
}

// Headers a reverse proxy or CDN adds: any of them means the client may not be on loopback.
const PROXY_HEADERS = ["forwarded", "x-forwarded-proto", "x-forwarded-for", "x-forwarded-host", "x-forwarded-ssl", "x-real-ip", "via", "cf-visitor"];

/** What `secure: "auto"` decides for a request, and what to say once when it is surprising. */
export function autoSecure(request: RequestLike | undefined): { secure: boolean; warn?: string; message?: string } {
  const url = request?.url ?? "";
  if (!url.startsWith("http:")) return { secure: true };
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return { secure: true };
  }
  const headers = request!.headers;
  const proxy = PROXY_HEADERS.find((name) => headers.get(name) !== null);
  if (isLoopback(host) && proxy === undefined) {
    return {
      secure: false,
      warn: "dropped",
      message: `websession: sending the session cookie without Secure, because the request is plain http to the loopback host ${host} (local development). Behind a reverse proxy this is wrong: forward the original Host (nginx: proxy_set_header Host $host; proxy_set_header X-Forwarded-Proto $scheme), or set cookie.secure: true.`,
    };
  }
  return {
    secure: true,
    warn: "kept",
    message: `websession: sending a Secure cookie in reply to a plain-http request for ${host}${proxy === undefined ? "" : ` (through a proxy: ${proxy})`}; browsers drop it unless the client really uses https (behind a TLS proxy this is fine). Set cookie.secure to silence this.`,
  };
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The path of a URL for a log line: no query (it may carry tokens), no control characters. */
export function safePath(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = "?";
  }
  return path.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?").slice(0, 200);
}
