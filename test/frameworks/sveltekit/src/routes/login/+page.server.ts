import { redirect } from "@sveltejs/kit";
import type { Actions } from "./$types";

export const actions: Actions = {
  default: async ({ request, locals }) => {
    const { session } = locals;
    const form = await request.formData();
    const user = String(form.get("user") ?? "").trim().slice(0, 64);
    if (user === "") {
      session.flash("Enter a user name.", "error");
      redirect(303, "/login");
    }
    session.regenerate();
    session.set("user", user);
    session.set("loggedInAt", Math.floor(Date.now() / 1000));
    session.permanent = form.get("remember") === "1";
    session.flash(`You were logged in as ${user}.`);
    redirect(303, "/");
  },
};
