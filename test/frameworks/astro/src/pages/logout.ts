import type { APIRoute } from "astro";

export const POST: APIRoute = ({ locals, redirect }) => {
  locals.session.destroy();
  locals.session.flash("You were logged out.");
  return redirect("/", 303);
};
