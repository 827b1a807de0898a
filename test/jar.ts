// A browser's cookie jar for one host and Path=/, as 6265bis 5.6-5.8 describe it, for tests
// that follow a session over several requests.

/** The cookies one browser holds for the test host, applied from responses like a user agent would. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();
  readonly #now: () => number;

  /** `now` is the clock (milliseconds) against which `Expires` is compared. */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /**
   * Applies every `Set-Cookie` of `response`: a new name is added, a known name replaced, and a
   * cookie whose `Max-Age` is zero or less (or, without `Max-Age`, whose `Expires` has passed)
   * removed. A cookie whose name plus value exceeds 4096 bytes is ignored, as browsers do.
   * Throws when a response sets one name twice (6265bis 4.1.1: at most one per name).
   */
  apply(response: Response): void {
    const lines = response.headers.getSetCookie();
    const names = lines.map((line) => line.slice(0, line.indexOf("=")));
    const twice = names.find((name, i) => names.indexOf(name) !== i);
    if (twice !== undefined) throw new Error(`the response sets cookie ${twice} twice`);
    for (const line of lines) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (name.length + value.length > 4096) continue;
      let maxAge: number | undefined;
      let expires: number | undefined;
      for (const attribute of attributes) {
        const i = attribute.indexOf("=");
        const key = (i === -1 ? attribute : attribute.slice(0, i)).trim().toLowerCase();
        const v = i === -1 ? "" : attribute.slice(i + 1).trim();
        if (key === "max-age") maxAge = Number(v);
        else if (key === "expires") expires = Date.parse(v);
      }
      // Max-Age wins over Expires, whatever their order.
      const expired = maxAge !== undefined ? maxAge <= 0 : expires !== undefined && expires <= this.#now();
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  /** The Cookie header the browser would send, or `undefined` when it holds nothing. */
  header(): string | undefined {
    if (this.#cookies.size === 0) return undefined;
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  /** The names held, sorted. */
  names(): string[] {
    return [...this.#cookies.keys()].sort();
  }

  /** The value held under `name`. */
  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }
}
