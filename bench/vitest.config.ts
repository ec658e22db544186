import { defineConfig } from "vitest/config";

// The harness's own tests, runnable alone: node_modules/.bin/vitest run --config bench/vitest.config.ts
export default defineConfig({
  test: { include: ["bench/test/**/*.test.ts"], root: new URL("..", import.meta.url).pathname },
});
