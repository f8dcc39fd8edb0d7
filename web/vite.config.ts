import { defineConfig, type Plugin } from 'vite';

// Cross-origin isolation, so the page may use SharedArrayBuffer and so the SIMD build with threads
// (?engine=threads). Nothing else needs it: a static host without these headers (the blog embed's case) runs
// the one-thread builds.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// The app lives in web/; `npm run build` writes a static dist/ that works from any host and sub-path:
//   index.html             the full page
//   scratchnet-embed.js    the embeddable <scratchnet-trainer> (a stable name, for the snippet in the README)
//   embed.html, examples/  the iframe form and an example blog post (from web/public/, copied as they are)
/**
 * The trainer's markup (app/template.ts) is indented for reading; every reader of a post with an embed downloads it,
 * so the build sends it without the indentation (a line break stays: it is whitespace in HTML as the indent was).
 */
const markupWithoutIndent: Plugin = {
  name: 'scratchnet-markup-without-indent',
  apply: 'build',
  enforce: 'pre',
  transform(code, id) {
    if (!id.endsWith('/app/template.ts')) return null;
    return code.replace(/\/\* html \*\/ `[^`]*`/g, (markup) => markup.replace(/\n\s+/g, '\n'));
  },
};

export default defineConfig({
  plugins: [markupWithoutIndent],
  root: 'web',
  base: './',
  publicDir: 'public',
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: { index: 'web/index.html', 'scratchnet-embed': 'web/src/embed/scratchnet-embed.ts' },
      // Without this, Rollup would drop the element module's exports (and so nothing would keep it from
      // being merged into a shared chunk): the script must define the element by itself.
      preserveEntrySignatures: 'strict',
      output: {
        entryFileNames: (chunk) => (chunk.name === 'scratchnet-embed' ? 'scratchnet-embed.js' : 'assets/[name]-[hash].js'),
      },
    },
  },
  worker: { format: 'es' },
  server: { host: '127.0.0.1', headers: isolation },
  preview: { host: '127.0.0.1', headers: isolation },
});
