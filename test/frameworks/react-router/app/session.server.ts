// app/session.server.ts
import { createSessionMiddleware } from "websession/react-router";

export type Data = { user?: string; loggedInAt?: number };

export const { sessionContext, sessionMiddleware } = createSessionMiddleware<Data>({ secret: process.env.SESSION_SECRET! });
