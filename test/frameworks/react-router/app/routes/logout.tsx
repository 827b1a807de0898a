import { redirect } from "react-router";
import type { ActionFunctionArgs } from "react-router";
import { sessionContext } from "../session.server.ts";

export function action({ context }: ActionFunctionArgs) {
  const session = context.get(sessionContext);
  session.destroy();
  session.flash("You were logged out.");
  return redirect("/", 303);
}
