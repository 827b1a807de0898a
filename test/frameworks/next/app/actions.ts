"use server";
// Server Actions: the session read with getSession() and written with saveSession() (cookies().set).
import { redirect } from "next/navigation";
import { getSession, saveSession } from "../lib/server.ts";

export async function logOut(): Promise<void> {
  const session = await getSession();
  session.destroy();
  session.flash("You were logged out.");
  await saveSession(session);
  redirect("/");
}
