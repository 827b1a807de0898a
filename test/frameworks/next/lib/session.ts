// The app's sessions. Plain http on 127.0.0.1 behind Next's own X-Forwarded-* headers: say so
// (a deployment behind TLS keeps the default, secure: "auto").
import type { NextSessionOptions } from "websession/next";

export type Data = { user?: string; loggedInAt?: number };

export const options: NextSessionOptions = { secret: process.env.SESSION_SECRET!, cookie: { secure: false } };
