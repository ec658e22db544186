import { defineConfig } from "vitest/config";

// Three layers (docs/design.md, "Tests"):
//   unit     — pure logic, no root, no kernel: packages/*/test, plugins/*/test (*.test.ts)
//   kernel   — real rtnetlink inside namespaces the test creates (*.kernel.test.ts), needs root
//   blackbox — the compiled executables in bin/, run as a runtime runs them (test/**), needs root + ./build.sh
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts", "plugins/*/test/**/*.test.ts", "bench/test/**/*.test.ts"],
          exclude: ["**/*.kernel.test.ts", "**/node_modules/**"],
        },
      },
      {
        test: {
          name: "kernel",
          include: ["packages/*/test/**/*.kernel.test.ts", "plugins/*/test/**/*.kernel.test.ts", "bench/test/**/*.kernel.test.ts"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "blackbox",
          include: ["test/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
