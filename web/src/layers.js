// The layer panel (toggles, zoom to layer) and the legend, whose colours are read from the
// server's style so that they cannot drift from what the map draws.
import { classes, el, int, kindLabel, noWarningColor, warningLevels } from './format.js';
import { BASEMAP, MODE_WARNING, RESULT, resultColor, setMode, setVisible, syncOverlays } from './map.js';

export function renderLayers(ctx) {
  const { state, map } = ctx;
  const box = document.getElementById('layer-groups');
  const groups = [
    { title: '业务图层', items: state.layers.filter((l) => l.kind !== 'derived') },
    { title: '已保存的分析', items: state.layers.filter((l) => l.kind === 'derived'), empty: '暂无。运行分析后可“保存为图层”。' },
  ];
  const nodes = [];
  for (const g of groups) {
    nodes.push(el('h3', { text: g.title }));
    if (!g.items.length) {
      nodes.push(el('p', { class: 'empty', text: g.empty || '暂无图层。' }));
      continue;
    }
    nodes.push(el('ul', { class: 'layer-group' }, g.items.map((l) => layerItem(ctx, l))));
  }
  const extra = [];
  if (state.result) {
    extra.push(toggleItem(ctx, RESULT, `当前分析结果（${state.result.title}）`, `${int(state.result.data.features.length)} 个`));
  }
  if (state.config.basemap_url) extra.push(toggleItem(ctx, BASEMAP, '底图', '栅格瓦片'));
  if (extra.length) nodes.push(el('h3', { text: '其他' }), el('ul', { class: 'layer-group' }, extra));
  box.replaceChildren(...nodes);
  if (map) renderLegend(map.getStyle(), state);
}

function layerItem(ctx, l) {
  const { map } = ctx;
  const item = toggleItem(ctx, l.id, l.title || l.id, `${int(l.feature_count)} ${l.kind === 'control' ? '条' : l.kind === 'derived' ? '个' : '宗'} · ${kindLabel[l.kind] || l.kind}`);
  if (Array.isArray(l.bounds) && l.feature_count) {
    item.append(el('button', {
      type: 'button', text: '定位', 'aria-label': `缩放至图层 ${l.title || l.id}`,
      onclick: () => map.fitBounds(l.bounds, { padding: 30, maxZoom: 16 }),
    }));
  }
  return item;
}

function toggleItem(ctx, id, title, meta) {
  const { state, map } = ctx;
  const inputID = `layer-toggle-${id}`;
  const input = el('input', { type: 'checkbox', id: inputID, 'data-layer': id });
  input.checked = !state.hidden.has(id);
  input.addEventListener('change', () => {
    if (input.checked) state.hidden.delete(id);
    else state.hidden.add(id);
    if (id !== RESULT) setVisible(map, id, input.checked, state);
    syncOverlays(map, state);
  });
  return el('li', { class: 'layer-item' },
    el('label', { for: inputID }, input, el('span', { class: 'name', text: title })),
    el('span', { class: 'meta', text: meta }));
}

// legendColors reads the status colours from the first parcels layer's fill-color expression
// (["case", idle, c1, five-未, c2, low, c3, other]) and the outline colours from the style.
export function legendColors(style, state) {
  const colors = { idle: '#7b1fa2', five: '#ef6c00', low: '#fbc02d', other: '#43a047', outside: '#d50000', control: '#1565c0', derived: resultColor };
  const byID = new Map((style?.layers || []).map((l) => [l.id, l]));
  const parcels = state.layers.find((l) => l.kind === 'parcels');
  const fill = parcels && byID.get(`${parcels.id}-fill`)?.paint?.['fill-color'];
  if (Array.isArray(fill) && fill[0] === 'case' && fill.length === 8) {
    [colors.idle, colors.five, colors.low, colors.other] = [fill[2], fill[4], fill[6], fill[7]];
  }
  const outside = parcels && byID.get(`${parcels.id}-outside`)?.paint?.['line-color'];
  if (typeof outside === 'string') colors.outside = outside;
  const control = state.layers.find((l) => l.kind === 'control');
  const line = control && byID.get(`${control.id}-line`)?.paint?.['line-color'];
  if (typeof line === 'string') colors.control = line;
  const derived = state.layers.find((l) => l.kind === 'derived');
  const dfill = derived && byID.get(`${derived.id}-fill`)?.paint?.['fill-color'];
  if (typeof dfill === 'string') colors.derived = dfill;
  return colors;
}

// setupMapMode wires the map-mode controls: the radios of the layer panel (利用状态 / 预警图) and
// the dashboard's 预警图 checkbox, kept in step.
export function setupMapMode(ctx) {
  const radios = [...document.querySelectorAll('input[name="map_mode"]')];
  const box = document.getElementById('dash-warning-map');
  const apply = (mode) => {
    for (const r of radios) r.checked = r.value === mode;
    if (box) box.checked = mode === MODE_WARNING;
    setMode(ctx.map, ctx.state, mode);
    renderLegend(ctx.map.getStyle(), ctx.state);
    ctx.status(mode === MODE_WARNING ? '预警图：地块按预警等级着色' : '地块按利用状态着色');
  };
  for (const r of radios) {
    r.checked = r.value === (ctx.state.mode || 'status');
    r.addEventListener('change', () => r.checked && apply(r.value));
  }
  box?.addEventListener('change', () => apply(box.checked ? MODE_WARNING : 'status'));
}

export function renderLegend(style, state) {
  const c = legendColors(style, state);
  for (const [k, v] of Object.entries(c)) document.documentElement.style.setProperty(`--c-${k}`, v);
  const swatch = (color, cls = '') => {
    const s = el('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' });
    if (cls.includes('outline')) s.style.borderColor = color;
    else s.style.background = color;
    return s;
  };
  const items = state.mode === MODE_WARNING
    ? [
      ...warningLevels.map((w) => el('li', { 'data-warning': w.value }, swatch(w.color), el('span', { text: `${w.value}色预警` }))),
      el('li', { 'data-warning': '' }, swatch(noWarningColor), el('span', {}, '无预警 ', el('small', { text: '已销号或无法判定' }))),
    ]
    : classes.map((k) => el('li', {}, swatch(c[k.id]), el('span', {}, k.label, ' ', el('small', { text: k.note }))));
  items.push(
    el('li', {}, swatch(c.outside, 'outline'), el('span', { text: '控制线外地块（红框）' })),
    el('li', {}, swatch(c.outside, 'outline dashed'), el('span', { text: '跨控制线地块（红色虚框）' })),
    el('li', {}, swatch(c.control, 'outline dashed'), el('span', { text: '工业用地控制线（蓝色虚线）' })),
    el('li', {}, swatch(c.derived), el('span', { text: '分析结果 / 已保存的片区' })),
  );
  document.getElementById('legend').replaceChildren(...items);
}
