// app/routes/me.ts
import type { LoaderFunctionArgs } from "react-router";
import { sessionContext } from "../session.server.ts";

export function loader({ context }: LoaderFunctionArgs) {
  const session = context.get(sessionContext);
  return Response.json({ user: session.get("user") ?? null, permanent: session.permanent });
}
