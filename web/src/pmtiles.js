// Offline viewing of a PMTiles archive: with ?pmtiles=URL the viewer needs no mudi server. It
// reads the layers and their style from the archive (mudi export --format pmtiles, GET
// /tiles/{layers}.pmtiles or GET /api/layers/{id}/export?format=pmtiles) and draws its tiles
// through MapLibre's pmtiles:// protocol. URL is a file next to the viewer (a relative path)
// or any URL whose server answers HTTP range requests and, on another origin, allows CORS.
import { addProtocol } from 'maplibre-gl';
import { PMTiles, Protocol } from 'pmtiles';

// The default style of mudi's archives names its vector source so (tiles/style.go).
const SOURCE = 'mudi';

// archiveURL returns the absolute URL of the ?pmtiles= parameter, or null.
export function archiveURL(search = window.location.search) {
  const v = new URLSearchParams(search).get('pmtiles');
  return v ? new URL(v, document.baseURI).href : null;
}

// offlineArchive opens the archive named by ?pmtiles= and returns what the viewer otherwise
// asks the server for: boot, the answers of /viewer/config.json and /api/layers, and style, the
// style to draw; or null without the parameter. The panels that need the server (analyses,
// statistics) are hidden.
export async function offlineArchive(search = window.location.search) {
  const url = archiveURL(search);
  if (!url) return null;
  const protocol = new Protocol({ metadata: true });
  addProtocol('pmtiles', protocol.tile);
  const archive = new PMTiles(url);
  protocol.add(archive); // the style's pmtiles:// URL reads this very instance
  const [header, metadata] = await Promise.all([archive.getHeader(), archive.getMetadata()]);
  const own = metadata?.mudi;
  const style = own?.style ? structuredClone(own.style) : plainStyle(metadata);
  style.sources = { ...style.sources, [SOURCE]: { type: 'vector', url: `pmtiles://${url}` } };
  const bounds = [header.minLon, header.minLat, header.maxLon, header.maxLat];
  const layers = own?.layers ?? (metadata?.vector_layers ?? []).map((l) => ({
    id: l.id, title: l.description || l.id, kind: 'parcels', version: 0, feature_count: 0, bounds,
  }));
  for (const id of ['tab-analysis', 'tab-stats']) {
    const tab = document.getElementById(id);
    if (tab) tab.hidden = true;
  }
  document.body.dataset.source = 'pmtiles';
  return { boot: [{ basemap_url: '', style_url: '', pmtiles_url: url }, { layers }], style };
}

// plainStyle draws an archive made by another tool: each of its vector layers as a translucent
// fill with an outline.
function plainStyle(metadata) {
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } }];
  for (const l of metadata?.vector_layers ?? []) {
    layers.push(
      { id: `${l.id}-fill`, type: 'fill', source: SOURCE, 'source-layer': l.id, paint: { 'fill-color': '#43a047', 'fill-opacity': 0.5 } },
      { id: `${l.id}-outline`, type: 'line', source: SOURCE, 'source-layer': l.id, paint: { 'line-color': '#5d4037', 'line-width': 1 } },
    );
  }
  return { version: 8, name: metadata?.name || 'pmtiles', sources: {}, layers };
}
