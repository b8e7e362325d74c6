import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

// Runtime boundaries, as VS Code enforces them: shared/ is pure, the
// renderer never reaches into Node or main/, the preload only bridges.
const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'electron'];
// The host and the CLI run without Electron, and use the engine only through public.ts.
const nodeHalfBoundaries = [
  { group: ['electron', '**/electron/**'], message: 'The host and the CLI run without Electron.' },
  { group: ['**/engine/**', '!**/engine/public.ts'], message: 'Use the engine through main/engine/public.ts only.' },
];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: [...nodeBuiltins, '../main/*', '../renderer/*', '../preload/*', 'react*'], message: 'shared/ imports neither Node, the DOM nor other runtimes.' }] }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', { patterns: [{ group: [...nodeBuiltins, '**/main/**', '**/preload/**'], message: 'The renderer talks to main only through the contract in shared/.' }] }],
    },
  },
  // contract.ts's request schemas need zod, which the page's first script must not carry.
  {
    files: ['renderer/src/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['**/shared/contract.ts'], allowTypeImports: true, message: 'The renderer imports only types from contract.ts (its schemas pull in zod); values such as limits are in shared/limits.ts.' }] }],
    },
  },
  // The Node half: the engine is a library; the host, the CLI and the MCP server use it only
  // through main/engine/public.ts, and neither the host nor the engine knows Electron.
  {
    files: ['main/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['electron', '**/host/**', '**/cli/**', '**/electron/**'], message: 'main/engine imports neither the host, the CLI nor Electron.' }] }],
    },
  },
  {
    files: ['main/host/**/*.ts', 'main/cli/**/*.ts', 'main/mcp/**/*.ts'],
    ignores: ['main/test/host/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...nodeHalfBoundaries] }],
    },
  },
  // The host reads state only through the store's contract (backend.ts) and
  // its change feed, so any backend can be shown: no file reads of its own.
  // Exceptions: the page's static files, the demo's temporary folder, and
  // finding out/renderer.
  {
    files: ['main/host/**/*.ts'],
    ignores: ['main/test/host/**', 'main/host/serve-static.ts', 'main/host/demo.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        ...nodeHalfBoundaries,
        { group: ['**/cli/**', '**/mcp/**'], message: 'The host is started by the CLI and the app; it imports neither.' },
        { group: ['fs', 'fs/*', 'node:fs', 'node:fs/*'], message: 'The host reads state only through the StateStore and its change feed.' },
      ] }],
    },
  },
  {
    files: ['main/test/host/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['electron', '**/electron/**'], message: 'The host runs without Electron.' }] }],
    },
  },
  {
    files: ['preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'fs', 'path', '**/main/**', '**/renderer/**'], message: 'The preload only bridges the contract.' }] }],
    },
  },
);
