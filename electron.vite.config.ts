import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';

// Three bundles, one per runtime: the Electron main shell (ESM), the
// sandboxed preload (CommonJS, as sandboxed preloads require), and the
// renderer (also served by `lockstep serve`).
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      lib: { entry: resolve('main/electron/main.ts'), formats: ['es'] },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      lib: { entry: resolve('preload/index.ts'), formats: ['cjs'] },
      rollupOptions: { output: { entryFileNames: 'index.cjs' } },
    },
  },
  renderer: {
    root: resolve('renderer'),
    base: './',
    build: {
      outDir: resolve('out/renderer'),
      emptyOutDir: true,
      // electron-vite leaves renderers unminified; this bundle is also served to browsers by `lockstep serve`.
      minify: true,
      rollupOptions: { input: resolve('renderer/index.html') },
    },
  },
});
