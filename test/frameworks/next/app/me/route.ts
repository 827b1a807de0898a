import { withSession } from "../../lib/server.ts";

export const dynamic = "force-dynamic";

export const GET = withSession((_request, session) => Response.json({ user: session.get("user") ?? null, permanent: session.permanent }));
