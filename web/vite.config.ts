import { defineConfig } from "vitest/config";
import type { Plugin } from "vite";
import react from "@vitejs/plugin-react";

/**
 * The built page may load and talk to its own origin only: no CDN, no web fonts, no request
 * that leaves the machine, and no inline script for an injected string to ride on. (Only in the
 * build: the dev server needs inline scripts for hot reload.)
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

function contentSecurityPolicy(): Plugin {
  return {
    name: "soulbeat-csp",
    apply: "build",
    transformIndexHtml: () => [
      {
        tag: "meta",
        attrs: { "http-equiv": "Content-Security-Policy", content: CONTENT_SECURITY_POLICY },
        injectTo: "head-prepend",
      },
    ],
  };
}

// The panel is served by soulbeat itself at "/", so the build goes straight into the Python
// package (git-ignored there).
export default defineConfig({
  base: "/",
  plugins: [react(), contentSecurityPolicy()],
  build: {
    outDir: "../src/soulbeat/api/static",
    emptyOutDir: true,
    sourcemap: false,
  },
  server: {
    // `npm run dev` talks to a `soulbeat serve` on its default port, on this machine.
    proxy: { "/api": "http://127.0.0.1:8420", "/healthz": "http://127.0.0.1:8420" },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
});
