// The map: MapLibre GL JS drawing mudi's own style (/styles/default.json, vector tiles from the
// same origin), plus an optional raster basemap and two GeoJSON overlays of the viewer's own:
// the current analysis result and the selected feature.
import { LngLatBounds, Map as MapLibreMap, NavigationControl, ScaleControl, setWorkerUrl } from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';
import { noWarningColor, warningLevels } from './format.js';

// MapLibre 6 loads its worker as a separate module: point it at the copy Vite emits under
// /assets/ (same origin, so the page's Content-Security-Policy allows it).
setWorkerUrl(workerUrl);

export const RESULT = 'result';
export const SELECTION = 'selection';
export const BASEMAP = 'basemap';
const EMPTY = { type: 'FeatureCollection', features: [] };

export const resultColor = '#e64a19';
export const resultLine = '#bf360c';
export const selectionColor = '#00b8d4';

const locale = {
  'Map.Title': '地图：工业用地地块按状态着色。方向键平移，加号减号缩放',
  'NavigationControl.ZoomIn': '放大',
  'NavigationControl.ZoomOut': '缩小',
  'NavigationControl.ResetBearing': '拖动旋转地图，点击恢复正北',
  'Popup.Close': '关闭',
  'AttributionControl.ToggleAttribution': '显示或隐藏版权信息',
  'ScaleControl.Meters': '米',
  'ScaleControl.Kilometers': '千米',
};

// composeStyle returns the style to draw: the server's style with the visibility the user chose,
// the basemap under mudi's layers and the overlays on top.
export function composeStyle(server, state) {
  const sources = { ...server.sources };
  const layers = [];
  const vis = (id) => ({ visibility: state.hidden.has(id) ? 'none' : 'visible' });
  let basemapAdded = false;
  const addBasemap = () => {
    if (!state.config.basemap_url || basemapAdded) return;
    sources[BASEMAP] = { type: 'raster', tiles: [state.config.basemap_url], tileSize: 256, maxzoom: 18 };
    layers.push({ id: BASEMAP, type: 'raster', source: BASEMAP, layout: vis(BASEMAP) });
    basemapAdded = true;
  };
  const dim = dimmed(state);
  const warningAdded = new Set();
  server.layers.forEach((l, i) => {
    if (l.type !== 'background') addBasemap();
    const copy = structuredClone(l);
    if (copy['source-layer']) copy.layout = { ...copy.layout, visibility: shown(copy, state) ? 'visible' : 'none' };
    if (dim && isParcelsFill(copy, state)) copy.paint = { ...copy.paint, 'fill-opacity': DIM_OPACITY };
    layers.push(copy);
    // The warning map's fill of a parcels layer goes right after the layer's last status fill.
    const next = server.layers[i + 1];
    if (isParcelsFill(l, state) && !warningAdded.has(l['source-layer']) &&
        !(next && isParcelsFill(next, state) && next['source-layer'] === l['source-layer'])) {
      const w = warningLayer(l.source, l['source-layer']);
      w.layout.visibility = shown(w, state) ? 'visible' : 'none';
      if (dim) w.paint['fill-opacity'] = DIM_OPACITY;
      layers.push(w);
      warningAdded.add(l['source-layer']);
    }
  });
  addBasemap();
  sources[RESULT] = { type: 'geojson', data: state.result?.data ?? EMPTY };
  sources[SELECTION] = { type: 'geojson', data: state.selection ?? EMPTY };
  layers.push(
    { id: 'result-fill', type: 'fill', source: RESULT, layout: vis(RESULT), paint: { 'fill-color': resultColor, 'fill-opacity': 0.6 } },
    {
      id: 'result-line', type: 'line', source: RESULT, layout: vis(RESULT),
      paint: { 'line-color': resultLine, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 2, 16, 4] },
    },
    { id: 'selection-line', type: 'line', source: SELECTION, paint: { 'line-color': selectionColor, 'line-width': 3 } },
  );
  return { ...server, sources, layers };
}

// The map modes: 'status' colours the parcels by their use (the server's style), 'warning' (预警图)
// by their warning level (the computed attribute warning of the tiles: 红/橙/黄/绿, absent when
// there is none).
export const MODE_STATUS = 'status';
export const MODE_WARNING = 'warning';
export const WARNING_OPACITY = 0.75;
const WARNING_SUFFIX = '-warning';

function warningLayer(source, sourceLayer) {
  return {
    id: `${sourceLayer}${WARNING_SUFFIX}`, type: 'fill', source, 'source-layer': sourceLayer,
    metadata: { 'mudi:mode': MODE_WARNING },
    layout: {},
    paint: {
      'fill-color': ['match', ['coalesce', ['get', 'warning'], ''], ...warningLevels.flatMap((w) => [w.value, w.color]), noWarningColor],
      'fill-opacity': WARNING_OPACITY,
    },
  };
}

const isWarningLayer = (l) => l.metadata?.['mudi:mode'] === MODE_WARNING;

// modeShown tells whether a layer belongs to the map mode: the status fills of the parcels in
// status mode, their warning fill in warning mode, everything else in both.
function modeShown(l, state) {
  if (isWarningLayer(l)) return state.mode === MODE_WARNING;
  if (isParcelsFill(l, state)) return state.mode !== MODE_WARNING;
  return true;
}

// shown tells whether a layer of mudi's is drawn: its layer is switched on and it belongs to the
// map mode.
const shown = (l, state) => !state.hidden.has(l['source-layer']) && modeShown(l, state);

// setMode switches the map mode without reloading the style.
export function setMode(map, state, mode) {
  state.mode = mode;
  for (const l of map.getStyle().layers) {
    if (l['source-layer'] && (isWarningLayer(l) || isParcelsFill(l, state))) {
      map.setLayoutProperty(l.id, 'visibility', shown(l, state) ? 'visible' : 'none');
    }
  }
}

// refreshTiles reloads the tiles of mudi's vector sources (after an edit: the server's tiles are
// rebuilt, the map's copies are not) and resolves once the map is idle again. A source described
// by a TileJSON reads it again: its tile URLs carry the layers' versions, so the edited tiles get
// new URLs (the old ones may be kept by the browser's and any CDN's cache for a day).
export async function refreshTiles(map) {
  for (const [id, src] of Object.entries(map.getStyle().sources)) {
    if (src.type !== 'vector') continue;
    const source = map.getSource(id);
    if (src.url && typeof source?.setUrl === 'function') source.setUrl(src.url);
    else map.refreshTiles(id);
  }
  await whenIdle(map);
}

// While an analysis result or a saved analysis layer is shown, the parcels are dimmed so that
// the analysis stands out.
const DIM_OPACITY = 0.25;
const dimmed = (state) => (Boolean(state.result) && !state.hidden.has(RESULT)) ||
  state.layers.some((l) => l.kind === 'derived' && !state.hidden.has(l.id));
const isParcelsFill = (l, state) => l.type === 'fill' &&
  state.layers.some((x) => x.kind === 'parcels' && x.id === l['source-layer']);

// syncOverlays shows or hides the analysis result overlay as the state says and dims the
// parcels while an analysis is shown.
export function syncOverlays(map, state) {
  setVisible(map, RESULT, Boolean(state.result) && !state.hidden.has(RESULT));
  const dim = dimmed(state);
  for (const l of state.style.layers) {
    if (isParcelsFill(l, state) && map.getLayer(l.id)) {
      map.setPaintProperty(l.id, 'fill-opacity', dim ? DIM_OPACITY : (l.paint?.['fill-opacity'] ?? 1));
    }
  }
  for (const l of map.getStyle().layers) {
    if (isWarningLayer(l)) map.setPaintProperty(l.id, 'fill-opacity', dim ? DIM_OPACITY : WARNING_OPACITY);
  }
}

// layerBounds returns the union of the layers' bounds ([w, s, e, n]) or null.
export function layerBounds(layers) {
  let b = null;
  for (const l of layers) {
    if (!Array.isArray(l.bounds) || l.bounds.length !== 4 || !l.feature_count) continue;
    b = b ? [Math.min(b[0], l.bounds[0]), Math.min(b[1], l.bounds[1]), Math.max(b[2], l.bounds[2]), Math.max(b[3], l.bounds[3])] : [...l.bounds];
  }
  return b;
}

// geometryBounds returns the bounds of a GeoJSON object's coordinates, or null.
export function geometryBounds(obj) {
  const b = new LngLatBounds();
  let any = false;
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      b.extend(c);
      any = true;
    } else c.forEach(walk);
  };
  const visit = (o) => {
    if (!o) return;
    if (o.type === 'FeatureCollection') o.features.forEach(visit);
    else if (o.type === 'Feature') visit(o.geometry);
    else if (o.coordinates) walk(o.coordinates);
  };
  visit(obj);
  return any ? b : null;
}

export function createMap(container, style, state) {
  const bounds = layerBounds(state.layers);
  const map = new MapLibreMap({
    container,
    style: composeStyle(style, state),
    ...(bounds ? { bounds, fitBoundsOptions: { padding: 30 } } : { center: [110, 32], zoom: 3.5 }),
    maxZoom: 20,
    locale,
    attributionControl: { compact: true },
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
  });
  map.touchZoomRotate.disableRotation();
  map.keyboard.disableRotation();
  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new ScaleControl({ unit: 'metric' }), 'bottom-right');
  return map;
}

// setVisible shows or hides everything drawn for id: a mudi layer (by source-layer; the parcels
// fills of the other map mode stay hidden), the analysis result or the basemap.
export function setVisible(map, id, visible, state) {
  for (const l of map.getStyle().layers) {
    const match = l['source-layer'] === id || (id === RESULT && l.source === RESULT) || (id === BASEMAP && l.id === BASEMAP);
    const on = visible && (!state || modeShown(l, state));
    if (match) map.setLayoutProperty(l.id, 'visibility', on ? 'visible' : 'none');
  }
}

// whenIdle resolves once the map has drawn everything it has requested.
export function whenIdle(map) {
  return new Promise((resolve) => {
    map.once('idle', () => resolve());
    map.triggerRepaint(); // a frame is drawn and 'idle' follows even when nothing is pending
  });
}
