// Preact through esbuild's JSX transform (no Babel), one small bundle with
// hashed names; nothing is fetched at run time (no CDN, no web fonts).
import { defineConfig } from 'vite';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    target: 'es2020',
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
  // `npm run dev`: the UI with hot reload, against a relaymock on :8080.
  server: {
    proxy: { '/api': { target: process.env.RELAYMOCK_URL || 'http://127.0.0.1:8080', changeOrigin: true } },
  },
  test: {
    environment: 'jsdom',
    globals: true,
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
