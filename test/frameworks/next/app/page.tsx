// A Server Component: reads the session (read-only here) and the flashes middleware took.
import { headers } from "next/headers";
import { readSession } from "../lib/session.ts";
import { logOut } from "./actions.ts";

export default async function Home() {
  const session = await readSession();
  const user = session.get("user");
  const flashes = JSON.parse(decodeURIComponent((await headers()).get("x-flashes") ?? "%5B%5D")) as Array<[string, string]>;
  return (
    <main>
      <h1>websession on Next.js</h1>
      {flashes.map(([category, message], i) => (
        <p key={i} className={`flash ${category}`} role="status">{message}</p>
      ))}
      {user === undefined ? (
        <p id="status">You are not logged in.</p>
      ) : (
        <>
          <p id="status">Logged in as <b>{user}</b>.</p>
          <form action={logOut}><button type="submit">Log out</button></form>
        </>
      )}
    </main>
  );
}
