// Builds the viewer into ../api/web/dist, which the Go binary embeds (package api/web).
import { readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const outDir = fileURLToPath(new URL('../api/web/dist', import.meta.url));

// cleanKeepingGitkeep empties the output folder before a build but keeps dist/.gitkeep: that
// committed file lets `//go:embed all:dist` compile in a fresh clone where nothing was built.
function cleanKeepingGitkeep() {
  return {
    name: 'mudi-clean-dist',
    apply: 'build',
    buildStart() {
      let names = [];
      try {
        names = readdirSync(outDir);
      } catch {
        return; // not there yet: Vite creates it
      }
      for (const name of names) {
        if (name !== '.gitkeep') rmSync(`${outDir}/${name}`, { recursive: true, force: true });
      }
    },
  };
}

export default defineConfig({
  base: './', // relative asset URLs: the page also works under a reverse proxy's sub-path
  plugins: [cleanKeepingGitkeep()],
  build: {
    outDir,
    emptyOutDir: false, // see cleanKeepingGitkeep
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1500, // MapLibre GL JS alone is about 1 MB
  },
  server: {
    // `npm run dev` against a local `mudi serve` on :8080.
    proxy: Object.fromEntries(
      ['/api', '/tiles', '/styles', '/viewer'].map((p) => [p, 'http://127.0.0.1:8080']),
    ),
  },
});
