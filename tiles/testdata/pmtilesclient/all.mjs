// Reads every tile of a PMTiles archive with the pmtiles library (the reader MapLibre GL JS
// uses): walks the root and leaf directories through the library's directory cache, reads each
// addressed tile with getZxy (decompressed as the header's tile compression says) and writes
// it to OUTDIR/z-x-y.mvt. Prints one JSON document: the header, the metadata and the list of
// tiles written, [[z, x, y], …] in tile id order.
//
// usage: node all.mjs ARCHIVE OUTDIR
import { openSync, readSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PMTiles, tileIdToZxy } from 'pmtiles';

class LocalFile {
  constructor(path) {
    this.path = path;
    this.fd = openSync(path, 'r');
  }
  getKey() {
    return this.path;
  }
  async getBytes(offset, length) {
    const buf = Buffer.alloc(length);
    const n = readSync(this.fd, buf, 0, length, offset);
    return { data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + n) };
  }
}

const [archivePath, outDir] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
const archive = new PMTiles(new LocalFile(archivePath));
const header = await archive.getHeader();
const metadata = await archive.getMetadata();

// Entries with runLength 0 point at leaf directories; the others address runLength tiles from
// tileId on.
const ids = [];
const walk = async (offset, length) => {
  const entries = await archive.cache.getDirectory(archive.source, offset, length, header);
  for (const e of entries) {
    if (e.runLength === 0) await walk(header.leafDirectoryOffset + e.offset, e.length);
    else for (let i = 0; i < e.runLength; i++) ids.push(e.tileId + i);
  }
};
await walk(header.rootDirectoryOffset, header.rootDirectoryLength);

const tiles = [];
for (const id of ids) {
  const [z, x, y] = tileIdToZxy(id);
  const t = await archive.getZxy(z, x, y);
  if (!t) throw new Error(`tile ${z}/${x}/${y} is in a directory but getZxy finds nothing`);
  writeFileSync(join(outDir, `${z}-${x}-${y}.mvt`), Buffer.from(t.data));
  tiles.push([z, x, y]);
}
process.stdout.write(JSON.stringify({ header, metadata, tiles }));
