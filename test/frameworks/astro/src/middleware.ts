// src/middleware.ts
import { sessionMiddleware } from "websession/astro";
import type { Data } from "./session.ts";

export const onRequest = sessionMiddleware<Data>({ secret: process.env.SESSION_SECRET! });
