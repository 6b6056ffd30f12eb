// Layers point one way: pure core <- shell <- daemon <- features <- API <- CLI (and the entry points that compose them).
// `npm run lint:layers` (and scripts/test, before any test) fails on the first import against this order,
// static, dynamic (`import()`) or type-only.
const CORE = '^src/(model|policy|firewall|gateway|filecopy|uplink|errors|contract|desktop/protocol)/';
const SHELL = '^src/(exec|runtime|storage|crypt|net|lab|hostfs|service|state|tor-control|control-filter|native|policy-files)/';
const DAEMON = '^src/daemon/';
const FEATURES = '^src/features/';
const API = '^src/api/';
// The admin-side window service (Qubes' guid): a client of the API like the CLI, which starts it.
const DESKTOP = '^src/desktop/(?!protocol/)';
const CLI = '^src/cli/';
// Entry points compose the layers and may import any of them.
const ENTRIES = '^src/(daemon/main|cli/main|control-filter/main)\\.ts$';
const TESTS = '\\.test\\.ts$';

const above = (from) => ({ path: from, pathNot: [ENTRIES, TESTS] });

module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'The pure core imports only itself, zod and Node built-ins without effects (next rule): no files, processes, sockets or SQLite.',
      severity: 'error',
      from: { path: CORE, pathNot: TESTS },
      to: { pathNot: [CORE, '(^|/)node_modules/zod/'], dependencyTypesNot: ['type-only', 'core'] },
    },
    {
      name: 'core-no-effectful-builtins',
      severity: 'error',
      from: { path: CORE, pathNot: TESTS },
      to: { dependencyTypes: ['core'], path: '^(node:)?(child_process|fs|fs/promises|net|dgram|http|https|worker_threads|cluster)$' },
    },
    {
      name: 'shell-below-daemon',
      comment: 'The effectful shell (kernel, programs, files) knows nothing of the daemon, its features, the API or the CLI.',
      severity: 'error',
      from: above(SHELL),
      to: { path: [DAEMON, FEATURES, API, DESKTOP, CLI] },
    },
    {
      name: 'daemon-below-features',
      comment: 'The daemon core never imports a feature, the API or the CLI: features register themselves from src/features/index.ts.',
      severity: 'error',
      from: above(DAEMON),
      to: { path: [FEATURES, API, DESKTOP, CLI] },
    },
    {
      name: 'features-below-api',
      severity: 'error',
      from: above(FEATURES),
      to: { path: [API, DESKTOP, CLI] },
    },
    {
      name: 'api-below-cli',
      severity: 'error',
      from: above(API),
      to: { path: [DESKTOP, CLI] },
    },
    {
      name: 'desktop-below-cli',
      severity: 'error',
      from: above(DESKTOP),
      to: { path: CLI },
    },
    {
      name: 'everything-in-a-layer',
      comment: 'A new top-level folder under src/ must be given its layer here.',
      severity: 'error',
      from: { path: '^src/', pathNot: [CORE, SHELL, DAEMON, FEATURES, API, DESKTOP, CLI, TESTS, '^src/[^/]+\\.ts$'] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|native|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
