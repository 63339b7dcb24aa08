// Reads a PMTiles archive with the pmtiles library (the reader MapLibre GL JS uses) and prints
// one JSON document: the header, the metadata, and for each requested tile its bytes as the
// library returns them (decompressed as the header's tile compression says), in base64, or
// null when the archive has no such tile.
//
// usage: node read.mjs ARCHIVE < tiles.json   (tiles.json: [[z, x, y], …])
import { openSync, readSync, readFileSync } from 'node:fs';
import { PMTiles } from 'pmtiles';

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

const archive = new PMTiles(new LocalFile(process.argv[2]));
const wanted = JSON.parse(readFileSync(0, 'utf8'));
const header = await archive.getHeader();
const metadata = await archive.getMetadata();
const tiles = {};
for (const [z, x, y] of wanted) {
  const t = await archive.getZxy(z, x, y);
  tiles[`${z}/${x}/${y}`] = t ? Buffer.from(t.data).toString('base64') : null;
}
process.stdout.write(JSON.stringify({ header, metadata, tiles }));
