/** What the app keeps in the session. */
export type Data = { user?: string; loggedInAt?: number };
