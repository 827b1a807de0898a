// src/app.d.ts
import type { Session } from "websession";
import type { Data } from "./session.ts";

declare global {
  namespace App {
    interface Locals {
      session: Session<Data>;
    }
  }
}

export {};
