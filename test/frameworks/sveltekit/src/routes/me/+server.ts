// src/routes/me/+server.ts
import { json } from "@sveltejs/kit";
import type { RequestHandler } from "./$types";

export const GET: RequestHandler = ({ locals }) => json({ user: locals.session.get("user") ?? null, permanent: locals.session.permanent });
