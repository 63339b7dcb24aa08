// Decodes MVT files with the reference JavaScript decoder (@mapbox/vector-tile + pbf) and
// prints one JSON document: for each file its layers and features with ids, properties and
// their JavaScript types, rings from loadGeometry(), each ring's signed area by the MVT 2.1
// surveyor's formula, and the ring counts of the polygons that classifyRings() builds (the
// grouping toGeoJSON() uses, so holes are seen as a renderer sees them).
//
// usage: node decode.mjs FILE…   (FILE paths end in z/x/y.pbf or z-x-y.mvt)
import { readFileSync } from 'node:fs';
import { PbfReader } from 'pbf';
import { VectorTile, classifyRings } from '@mapbox/vector-tile';

function surveyor(ring) {
  let s = 0;
  for (let i = 0; i < ring.length; i++) {
    const a = ring[i];
    const b = ring[(i + 1) % ring.length];
    s += a.x * b.y - b.x * a.y;
  }
  return s / 2;
}

const out = [];
for (const file of process.argv.slice(2)) {
  const tile = new VectorTile(new PbfReader(readFileSync(file)));
  const layers = [];
  for (const name of Object.keys(tile.layers)) {
    const layer = tile.layers[name];
    const features = [];
    for (let i = 0; i < layer.length; i++) {
      const f = layer.feature(i);
      const rings = f.loadGeometry();
      const propTypes = {};
      for (const [k, v] of Object.entries(f.properties)) propTypes[k] = typeof v;
      features.push({
        id: f.id,
        type: f.type,
        properties: f.properties,
        propTypes,
        rings: rings.map((r) => r.map((p) => [p.x, p.y])),
        areas: rings.map(surveyor),
        polygons: classifyRings(rings).map((p) => p.length),
      });
    }
    layers.push({ name, version: layer.version, extent: layer.extent, features });
  }
  out.push({ file, layers });
}
process.stdout.write(JSON.stringify(out));
