import { Form, useLoaderData } from "react-router";
import type { LoaderFunctionArgs } from "react-router";
import { sessionContext } from "../session.server.ts";

export function loader({ context }: LoaderFunctionArgs) {
  const session = context.get(sessionContext);
  return { user: session.get("user") ?? null, flashes: session.flashes({ withCategories: true }) };
}

export default function Home() {
  const { user, flashes } = useLoaderData<typeof loader>();
  return (
    <main>
      <h1>websession on React Router</h1>
      {flashes.map(([category, message], i) => (
        <p key={i} className={`flash ${category}`} role="status">{message}</p>
      ))}
      {user === null ? (
        <p id="status">You are not logged in.</p>
      ) : (
        <>
          <p id="status">Logged in as <b>{user}</b>.</p>
          <Form method="post" action="/logout"><button type="submit">Log out</button></Form>
        </>
      )}
    </main>
  );
}
