// The app's sessions: the middleware (in root.tsx) and the context key loaders and actions read.
import { createSessionMiddleware } from "websession/react-router";

export type Data = { user?: string; loggedInAt?: number };

export const { sessionContext, sessionMiddleware } = createSessionMiddleware<Data>({ secret: process.env.SESSION_SECRET! });
