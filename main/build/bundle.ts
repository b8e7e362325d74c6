// Bundles the Node side that runs outside Electron: the `lockstep` CLI
// (with `serve`) and the library entry. Bundling keeps CLI start-up close to
// bare Node: one file to load instead of dozens of modules.
import { build } from 'esbuild';
import { chmodSync, writeFileSync } from 'node:fs';

const common = {
  bundle: true,
  platform: 'node' as const,
  format: 'esm' as const,
  target: 'node22',
  packages: 'external' as const,
  sourcemap: true,
  logLevel: 'warning' as const,
};

await build({
  ...common,
  entryPoints: { main: 'main/cli/bin.ts' },
  outdir: 'out/cli',
  splitting: true, // serve and simulate load only when used
  chunkNames: 'chunks/[name]-[hash]',
});

// The bin enables Node's compile cache before loading the bundle, so later
// runs skip parsing and compiling it.
const bin = 'out/cli/lockstep.js';
writeFileSync(
  bin,
  `#!/usr/bin/env node\nimport module from 'node:module';\nmodule.enableCompileCache?.();\nawait import('./main.js');\n`,
);
chmodSync(bin, 0o755);

await build({ ...common, entryPoints: { index: 'main/engine/index.ts' }, outdir: 'out/lib' });
