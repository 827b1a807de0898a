import { fileURLToPath } from "node:url";

/** @type {import("next").NextConfig} */
export default {
  // This app is its own workspace (the checkout's lock file above it is not its root).
  turbopack: { root: fileURLToPath(new URL(".", import.meta.url)) },
};
