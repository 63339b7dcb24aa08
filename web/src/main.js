// mudi's web viewer: boot, tabs, and the wiring between the map and the panels.
import './style.css';
import { getJSON, message } from './api.js';
import { int } from './format.js';
import { composeStyle, createMap, whenIdle } from './map.js';
import { renderLayers } from './layers.js';
import { onMapClick } from './popup.js';
import { onLayersChanged, setupAnalysis } from './analysis.js';
import { loadStats, onLayersChangedStats, setupStats } from './stats.js';
import { setupTabs } from './tabs.js';
import { setupKeyDialog } from './key.js';
import { onLayersChangedDashboard, setupDashboard } from './dashboard.js';
import { setupMapMode } from './layers.js';
import { offlineArchive } from './pmtiles.js';

const $ = (id) => document.getElementById(id);

const state = {
  config: { basemap_url: '', style_url: '/styles/default.json' },
  layers: [], // GET /api/layers
  style: null, // the server's style, as last fetched
  hidden: new Set(), // ids of layers (and 'result', 'basemap') the user switched off
  result: null, // the current analysis result
  selection: null, // the feature whose popup is open
  mode: 'status', // the map mode: 'status' (利用状态) or 'warning' (预警图)
};

const ctx = {
  state,
  map: null,
  status(text) {
    $('app-status').textContent = text;
  },
  onResult() {
    renderLayers(ctx);
  },
  // refreshLayers reloads the layer list and the style (after a layer was saved), keeping the
  // viewer's own overlays and the user's toggles.
  async refreshLayers() {
    const [layers, style] = await Promise.all([getJSON('/api/layers'), getJSON(state.config.style_url)]);
    state.layers = layers.layers;
    state.style = style;
    ctx.map.setStyle(composeStyle(style, state));
    // setStyle applies a diff (sources and layers added or removed), or reloads the style when
    // it cannot: wait until the viewer's own layers are in place either way.
    await new Promise((resolve) => {
      const check = () => (ctx.map.getLayer('result-fill') ? resolve() : ctx.map.once('styledata', check));
      check();
    });
    layersChanged();
  },
};

function layersChanged() {
  renderLayers(ctx);
  if (!state.config.pmtiles_url) onLayersChanged(ctx); // the analysis panel asks the server
  onLayersChangedStats(ctx);
  onLayersChangedDashboard(ctx);
  const parcels = state.layers.filter((l) => l.kind === 'parcels');
  const n = parcels.reduce((s, l) => s + (l.feature_count || 0), 0);
  ctx.status(`${state.layers.length} 个图层 · 地块 ${int(n)} 宗`);
}

async function boot() {
  setupTabs(document.querySelector('.sidebar [role="tablist"]'), (tab) => {
    if (tab.id === 'tab-stats') loadStats(ctx);
  });
  setupKeyDialog();
  const offline = await offlineArchive(); // ?pmtiles=URL: layers and style from an archive, no server
  const [config, layers] = offline?.boot ?? (await Promise.all([getJSON('/viewer/config.json'), getJSON('/api/layers')]));
  state.config = { ...state.config, ...config };
  state.layers = layers.layers;
  // Saved analyses are overlays to switch on: the first view is the land by status.
  for (const l of state.layers) if (l.kind === 'derived') state.hidden.add(l.id);
  state.style = offline?.style ?? (await getJSON(state.config.style_url));

  const map = createMap('map', state.style, state);
  ctx.map = map;
  setupAnalysis(ctx);
  setupStats(ctx);
  setupMapMode(ctx);
  setupDashboard(ctx);
  layersChanged();
  map.on('click', (e) => onMapClick(ctx, e));
  map.on('mousemove', (e) => {
    const hit = map.queryRenderedFeatures(e.point).some((f) => f.layer.type === 'fill' && f.layer.id !== 'background');
    map.getCanvas().style.cursor = hit ? 'pointer' : '';
  });
  map.on('error', (e) => ctx.status(`地图错误：${e.error?.message || e.error || '未知'}`));
  document.querySelector('.skip-link').addEventListener('click', (e) => {
    e.preventDefault();
    map.getCanvas().focus();
  });

  await new Promise((resolve) => (map.loaded() ? resolve() : map.once('load', resolve)));
  await whenIdle(map);
  renderLayers(ctx); // the legend reads the loaded style
  // Test hook: browser tests drive the viewer through the DOM and read the map's projection.
  window.map = map;
  window.mudi = ctx;
  document.body.dataset.state = 'ready';
}

boot().catch((err) => {
  document.body.dataset.state = 'failed';
  $('app-status').textContent = `加载失败：${message(err)}`;
  console.error(err);
});
