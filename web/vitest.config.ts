import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Unit tests of the app's TypeScript logic, run in node from the repo root:
//   npx vitest run --config web/vitest.config.ts
// Kept apart from vite.config.ts, whose root is web/, so that the tests can live in tests/web/.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['tests/web/**/*.test.ts'],
    environment: 'node',
  },
});
