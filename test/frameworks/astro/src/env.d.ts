declare namespace App {
  interface Locals {
    session: import("websession").Session<import("./session.ts").Data>;
  }
}
