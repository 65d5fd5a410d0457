// ESLint flat config: Next's rules (core web vitals, React, React hooks incl. the React Compiler
// rules, jsx-a11y, import), typescript-eslint's recommended rules, and its type-aware ones for the
// code tsc checks. Prettier owns formatting (eslint-config-prettier turns off the rules it would fight).
import { defineConfig, globalIgnores } from "eslint/config";
import nextCoreWebVitals from "eslint-config-next/core-web-vitals";
import nextTypescript from "eslint-config-next/typescript";
import prettier from "eslint-config-prettier/flat";
import tseslint from "typescript-eslint";

export default defineConfig([
  globalIgnores([
    "server/db/generated/**",
    "**/.next/**",
    ".data/**",
    "node_modules/**",
    "bench/node_modules/**",
    "playwright-report/**",
    "test-results/**",
  ]),
  ...nextCoreWebVitals,
  ...nextTypescript,
  {
    // Type-aware rules for the code tsconfig.json covers (bench/ is outside it: see below).
    files: ["**/*.{ts,tsx}"],
    extends: [tseslint.configs.recommendedTypeCheckedOnly],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // Next's preset makes these warnings; here they fail the lint like every other finding.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      "@typescript-eslint/no-unused-expressions": "error",
      // Async functions without `await` are how this code implements Promise-returning contracts
      // (AI SDK models, Inngest handlers, tRPC context): `async` turns a throw into a rejection.
      "@typescript-eslint/require-await": "off",
      // Fires on the deliberate `String(value ?? "")` of untyped event payloads and caught errors
      // (TypeScript narrows `unknown ?? ""` to `{}`); none of its findings was a bug.
      "@typescript-eslint/no-base-to-string": "off",
      // Its findings here were harmless or deliberate (`as never` to send an invalid input in a
      // test, `!` on SDK fields); removing them is churn, not safety.
      "@typescript-eslint/no-unnecessary-type-assertion": "off",
    },
  },
  {
    // Tests read JSON bodies from real HTTP responses (`any`) and assert on them; typing every
    // body would mean hand-copied interfaces. The app code keeps the no-unsafe-* rules.
    files: ["tests/**"],
    rules: {
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      // `useEmbeddedExecutor()` and friends are vitest fixtures, not React hooks.
      "react-hooks/rules-of-hooks": "off",
    },
  },
  {
    // bench/ has its own package.json and node_modules (not installed in CI) and is not in tsconfig.json.
    files: ["bench/**"],
    extends: [tseslint.configs.disableTypeChecked],
  },
  prettier,
]);
