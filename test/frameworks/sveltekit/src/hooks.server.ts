// src/hooks.server.ts
import { env } from "$env/dynamic/private";
import { handleSession } from "websession/sveltekit";
import type { Data } from "./session.ts";

export const handle = handleSession<Data>({ secret: env.SESSION_SECRET! });
