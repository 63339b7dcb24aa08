// Copies the libraries of the pack's offline viewer into ../../api/packviewer/files/assets/lib,
// which the Go binary embeds: MapLibre GL JS (its single-file UMD build, which runs as a classic
// <script> from file:// and starts its worker from a blob) and the PMTiles reader (an IIFE that
// defines the global pmtiles), with the MapLibre licence (the PMTiles package ships none; it is BSD-3-Clause).
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'api', 'packviewer', 'files', 'assets', 'lib');
mkdirSync(out, { recursive: true });
const files = [
  ['maplibre-gl/dist/maplibre-gl.js', 'maplibre-gl.js'],
  ['maplibre-gl/dist/maplibre-gl.css', 'maplibre-gl.css'],
  ['maplibre-gl/LICENSE.txt', 'LICENSE-maplibre-gl.txt'],
  ['pmtiles/dist/pmtiles.js', 'pmtiles.js'],
];
for (const [from, to] of files) {
  copyFileSync(join(here, 'node_modules', from), join(out, to));
}
console.log(`copied ${files.length} files to ${out}`);
