import { cookies, headers } from "next/headers";
import { nextSessions } from "websession/next";
import { options } from "./session.ts";
import type { Data } from "./session.ts";

export const { getSession, saveSession, readSession, withSession } = nextSessions<Data>({ ...options, next: { headers, cookies } });
