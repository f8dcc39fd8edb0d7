import { defineConfig } from 'vite';

// The app lives in web/; `npm run build` writes a static dist/ that works from any host and sub-path.
export default defineConfig({
  root: 'web',
  base: './',
  publicDir: 'public',
  build: { outDir: '../dist', emptyOutDir: true, target: 'es2022' },
  worker: { format: 'es' },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
