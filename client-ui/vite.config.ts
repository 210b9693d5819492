import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** Where `npm run dev` forwards API and socket traffic: the gateway, the app's one origin. */
const gateway = process.env.GATEWAY_URL ?? 'http://localhost:3000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  resolve: {
    // The contracts package resolves to its TypeScript source: no build step needed.
    alias: { '@chat/contracts': fileURLToPath(new URL('../packages/contracts/src/index.ts', import.meta.url)) },
  },
  server: {
    proxy: {
      '/auth': { target: gateway, changeOrigin: true },
      '/messages': { target: gateway, changeOrigin: true },
      '/socket.io': {
        target: gateway,
        changeOrigin: true,
        ws: true,
        // chat-service admits sockets only from ALLOWED_ORIGINS: present the gateway's origin,
        // as the browser would when the built app is served by the gateway itself.
        configure: (proxy) => proxy.on('proxyReqWs', (req) => req.setHeader('origin', new URL(gateway).origin)),
      },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No source maps in the build: dist/ is what the gateway serves, and a public map hands out
    // the whole source (1.9 MB). Debug with `npm run dev`, which serves maps from memory.
    sourcemap: false,
  },
});
