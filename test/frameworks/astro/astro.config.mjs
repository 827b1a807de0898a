import node from "@astrojs/node";
import { defineConfig } from "astro/config";

export default defineConfig({
  output: "server",
  adapter: node({ mode: "standalone" }),
  // The Host this server answers to: Astro builds request.url (and checks a form POST's Origin) from it.
  security: { allowedDomains: [{ hostname: "127.0.0.1", protocol: "http" }] },
});
