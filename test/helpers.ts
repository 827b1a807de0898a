// Shared test fixtures.

/** A fixed secret for vectors. It passes the policy; never use it outside tests. */
export const TEST_SECRET = "tV3nq8Rk2LmZ7pWc5XyB9dHf4Js6Ga1EuQ0o";
/** A second fixed secret, for rotation tests. */
export const OLD_SECRET = "Xc7Lp2Qw9Rt4Yb6Nm1Kd8Fg3Hj5Sz0Va_Ue";
/** 2023-11-14T22:13:20Z */
export const T0 = 1_700_000_000_000;

/** A request for `url` carrying `cookie` (a `name=value` pair or a whole header). */
export function requestWith(cookie?: string, url = "https://app.example/", init: RequestInit = {}): Request {
  const headers = new Headers(init.headers);
  if (cookie !== undefined) headers.set("Cookie", cookie);
  return new Request(url, { ...init, headers });
}

/** The `name=value` part of the first Set-Cookie header, for sending back. */
export function cookieOf(response: Response): string {
  const line = response.headers.getSetCookie()[0];
  if (line === undefined) throw new Error("no Set-Cookie on the response");
  return line.split(";")[0]!;
}

/** A clock that tests move forward by hand. */
export function clock(start = T0): { now: () => number; advance: (seconds: number) => void } {
  let t = start;
  return {
    now: () => t,
    advance: (s) => {
      t += s * 1000;
    },
  };
}
