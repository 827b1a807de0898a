// A Server Component that tries to change the session: it throws, naming where writes are allowed.
import { readSession } from "../../lib/session.ts";

export default async function ReadOnly() {
  const session = await readSession();
  session.set("user", "written from a Server Component");
  return <p>unreachable</p>;
}
