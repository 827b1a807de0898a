// Shared inputs of every benchmark: one secret, two session sizes, the request URL.
// Web globals only: this file also runs inside workerd.

/** A fixed benchmark secret (random, 43 characters). Never use it outside benchmarks. */
export const SECRET = "Q2v8Jm4Tz1Rk7Wp0Xc5Nb9Lh3Fd6Gs2Ya8Ue4Io7Kq";

/** Every benchmark request goes to this URL (https, so every library sets `Secure`). */
export const ORIGIN = "https://bench.example";

/** The session sizes, named by the size of websession's `signed` cookie value. */
export type Size = "small" | "large";
export const SIZES: readonly Size[] = ["small", "large"];

/** What a benchmark session holds: a login plus a counter that the full cycle increments. */
export interface BenchData {
  user: string;
  uid: number;
  csrf: string;
  visits: number;
  [key: string]: unknown;
}

/** ~170 bytes as a websession `signed` cookie value: a typical login session. */
export const SMALL: BenchData = { user: "ada", uid: 1815, csrf: "q7C1mZ0b", visits: 1 };

/** ~2.5 KB as a websession `signed` cookie value: a login plus a cart and preferences. */
export const LARGE: BenchData = {
  ...SMALL,
  prefs: { theme: "dark", lang: "en-GB", tz: "Europe/London", density: "compact" },
  cart: Array.from({ length: 21 }, (_, i) => ({
    sku: `SKU-${(48_271 * (i + 1)) % 99_991}`,
    qty: (i % 3) + 1,
    price: 199 + ((i * 7_919) % 4_000),
    title: `Item ${i + 1} of the benchmark cart`,
  })),
};

/** The data of `size`, as a fresh deep copy (so no library can share state between runs). */
export function dataOf(size: Size): BenchData {
  return JSON.parse(JSON.stringify(size === "small" ? SMALL : LARGE)) as BenchData;
}

/** A GET request for `path` carrying `cookie` (a `name=value` pair) when given. */
export function requestTo(path: string, cookie?: string): Request {
  return new Request(`${ORIGIN}${path}`, cookie === undefined ? {} : { headers: { cookie } });
}

/** Where read handlers put what they read, so no engine can skip the read. */
export const sink: { value: unknown } = { value: undefined };
