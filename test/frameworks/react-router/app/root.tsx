import { Links, Meta, Outlet, Scripts } from "react-router";
import type { ReactNode } from "react";
import { sessionMiddleware } from "./session.server.ts";

export const middleware = [sessionMiddleware];

export function Layout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <Scripts />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}
