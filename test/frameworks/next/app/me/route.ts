// app/me/route.ts
import { withSession } from "../../lib/session.ts";

export const GET = withSession((_request, session) => Response.json({ user: session.get("user") ?? null, permanent: session.permanent }));
