import { Form, redirect } from "react-router";
import type { ActionFunctionArgs } from "react-router";
import { sessionContext } from "../session.server.ts";

export async function action({ request, context }: ActionFunctionArgs) {
  const session = context.get(sessionContext);
  const form = await request.formData();
  const user = String(form.get("user") ?? "").trim().slice(0, 64);
  if (user === "") {
    session.flash("Enter a user name.", "error");
    return redirect("/login", 303);
  }
  session.regenerate();
  session.set("user", user);
  session.set("loggedInAt", Math.floor(Date.now() / 1000));
  session.permanent = form.get("remember") === "1";
  session.flash(`You were logged in as ${user}.`);
  return redirect("/", 303);
}

export default function Login() {
  return (
    <Form method="post">
      <p><label>User name <input name="user" required maxLength={64} /></label></p>
      <p><label><input type="checkbox" name="remember" value="1" /> Remember me</label></p>
      <p><button type="submit">Log in</button></p>
    </Form>
  );
}
