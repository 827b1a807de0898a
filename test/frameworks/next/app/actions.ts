// app/actions.ts
"use server";
import { redirect } from "next/navigation";
import { getSession, saveSession } from "../lib/session.ts";

export async function logOut(): Promise<void> {
  const session = await getSession();
  session.destroy();
  session.flash("You were logged out.");
  await saveSession(session);
  redirect("/");
}
