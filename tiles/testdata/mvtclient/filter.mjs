// Evaluates the fill layers of a MapLibre style on features with MapLibre's own filter code
// (@maplibre/maplibre-gl-style-spec featureFilter), as a renderer does for each feature of a
// tile, and prints one JSON document: for each source layer and feature, the fill layers whose
// filter accepts it, with their fill colours.
//
// usage: node filter.mjs STYLE.json FEATURES.json
//   FEATURES.json: {"<source-layer>": [{"id": 1, "properties": {...}}, ...], ...}
import { readFileSync } from 'node:fs';
import { featureFilter } from '@maplibre/maplibre-gl-style-spec';

const style = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const input = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const out = {};
for (const [sourceLayer, features] of Object.entries(input)) {
  const fills = style.layers
    .map((l, i) => ({ l, i }))
    .filter(({ l }) => l.type === 'fill' && l['source-layer'] === sourceLayer)
    .map(({ l, i }) => ({ id: l.id, color: l.paint['fill-color'], test: featureFilter(l.filter, `layers[${i}].filter`) }));
  out[sourceLayer] = features.map((f) => {
    const feature = { type: 3, id: f.id, properties: f.properties, geometry: [] }; // 3: polygon
    const hits = fills.filter((l) => l.test.filter({ zoom: 14 }, feature));
    return { id: f.id, fills: hits.map((l) => ({ id: l.id, color: l.color })) };
  });
}
process.stdout.write(JSON.stringify(out));
