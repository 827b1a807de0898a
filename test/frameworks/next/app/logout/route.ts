// A Route Handler wrapped by withSession.
import { withSession } from "../../lib/session.ts";

export const POST = withSession((request, session) => {
  session.destroy();
  session.flash("You were logged out.");
  return Response.redirect(new URL("/", request.url), 303);
});
