import { redirect } from "@sveltejs/kit";
import type { RequestHandler } from "./$types";

export const POST: RequestHandler = ({ locals }) => {
  locals.session.destroy();
  locals.session.flash("You were logged out.");
  redirect(303, "/");
};
