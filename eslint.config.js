import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, lowest first (docs/architecture.md explains each). A file may import from its
 * own layer and the layers below it, never from a layer above, and nothing in src/ imports test/.
 * Folders are named without `src/`; `*.ts` entries are files at the top of src/.
 */
export const LAYERS = [
  { name: 'kernel', members: ['errors.ts', 'logger.ts', 'version.ts', 'data-dir.ts', 'http-client.ts', 'table.ts', 'duration.ts'] },
  { name: 'kek', members: ['kek'] },
  { name: 'ca', members: ['ca'] },
  { name: 'validation', members: ['validation', 'acme-client'] },
  { name: 'jobs', members: ['jobs'] },
  { name: 'audit', members: ['audit'] },
  { name: 'cluster', members: ['cluster'] },
  { name: 'acme', members: ['acme'] },
  { name: 'ssh', members: ['ssh'] },
  { name: 'secrets', members: ['secrets'] },
  { name: 'lifecycle', members: ['lifecycle'] },
  { name: 'notify', members: ['notify'] },
  { name: 'admin', members: ['admin'] },
  { name: 'metrics', members: ['metrics'] },
  { name: 'store', members: ['store'] },
  { name: 'config', members: ['config'] },
  { name: 'operations', members: ['backup', 'lab'] },
  { name: 'http', members: ['http'] },
  { name: 'root', members: ['serve.ts', 'context.ts', 'duties.ts', 'workers.ts'] },
  { name: 'cli', members: ['cli'] },
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * An import source that names `member` (a folder or a file at the top of src/) by a relative path,
 * from a file at the top of src/ (`atTop`) or one folder down.
 */
function memberPattern(member, atTop) {
  const up = atTop ? '\\./' : '\\.\\./';
  return member.endsWith('.ts') ? `^${up}${escape(member)}$` : `^${up}${escape(member)}/`;
}

function layerRules() {
  return LAYERS.map((layer, i) => {
    const above = LAYERS.slice(i + 1);
    const atTop = layer.members.some((m) => m.endsWith('.ts'));
    const patterns = above.flatMap((upper) => upper.members.map((member) => ({
      regex: memberPattern(member, atTop),
      message: `${layer.name} is below ${upper.name}: a lower layer must not import an upper one (docs/architecture.md, "Layers"). Declare the interface you need here and let the composition root pass it in.`,
    })));
    patterns.push({ regex: '(^|/)test/', message: 'product code must not import test code' });
    return {
      files: layer.members.map((m) => (m.endsWith('.ts') ? `src/${m}` : `src/${m}/**/*.ts`)),
      ignores: ['src/**/*.test.ts'],
      rules: { 'no-restricted-imports': ['error', { patterns }] },
    };
  });
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // Type-aware checks for the bugs that compile: a promise nobody awaits, a promise where a
    // callback's result is ignored, awaiting a non-promise, a switch that misses a case.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', {
        // node:test's test() and describe() return promises the runner itself awaits.
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  ...layerRules(),
  {
    // `npm run test:unit` runs src/**/*.test.ts and promises no external program: tests that
    // need openssl, tar, Pebble or PostgreSQL go to test/integration (docs/architecture.md, "Tests").
    files: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'node:child_process', message: 'a unit test runs no program: move it to test/integration' }],
        patterns: [{
          regex: '(^|/)test/support/(?!(acme-identifier-cert|app-error|issuing-ca|tar-entries|tmp)\\.ts$)',
          message: 'this helper starts programs or servers: a test that needs it belongs in test/integration',
        }],
      }],
    },
  },
);
