// src/pages/me.ts
import type { APIRoute } from "astro";

export const GET: APIRoute = ({ locals }) => Response.json({ user: locals.session.get("user") ?? null, permanent: locals.session.permanent });
