// src/env.d.ts
declare namespace App {
  interface Locals {
    session: import("websession").Session<import("./session.ts").Data>;
  }
}
