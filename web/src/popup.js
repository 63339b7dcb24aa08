// Click → popup: a parcel's attributes under Chinese labels, fetched from
// /api/layers/{layer}/features/{id} (the tile feature id is the feature id), with its ledger
// (ledger.js) when the layer is a parcels layer, or an analysis result's properties.
import { Popup } from 'maplibre-gl';
import { getJSON, message } from './api.js';
import { classes, classify, computedLabels, el, mu4, noWarningColor, pct, positionLabel, show, warningLevels } from './format.js';
import { ledgerSection, loadLedger } from './ledger.js';
import { RESULT, SELECTION, refreshTiles } from './map.js';

let popup = null;
let pending = null;

function open(ctx, lngLat, content) {
  const { map } = ctx;
  if (!popup) {
    popup = new Popup({ maxWidth: '420px', focusAfterOpen: false });
    popup.on('close', () => setSelection(ctx, null));
  }
  popup.setLngLat(lngLat).setDOMContent(content);
  if (!popup.isOpen()) popup.addTo(map);
}

// fitPopup pans the map so that the whole popup is inside it and clear of the zoom buttons (its
// content grows when the ledger arrives), keeping the parcel's point on the map.
function fitPopup(ctx) {
  const node = popup?.getElement();
  if (!node || !popup.isOpen()) return;
  const box = ctx.map.getContainer().getBoundingClientRect();
  const r = node.getBoundingClientRect();
  const margin = 10;
  const controls = 50; // the zoom buttons' column at the top right
  let dx = 0;
  let dy = 0;
  if (r.bottom > box.bottom - margin) dy = r.bottom - (box.bottom - margin);
  if (r.top - dy < box.top + margin) dy = r.top - (box.top + margin);
  if (r.right > box.right - controls) dx = r.right - (box.right - controls);
  if (r.left - dx < box.left + margin) dx = r.left - (box.left + margin);
  if (Math.abs(dx) >= 1 || Math.abs(dy) >= 1) ctx.map.panBy([dx, dy], { duration: 0 });
}

export function closePopup() {
  popup?.remove();
}

function setSelection(ctx, feature) {
  ctx.state.selection = feature;
  ctx.map.getSource(SELECTION)?.setData(feature || { type: 'FeatureCollection', features: [] });
}

// clickable returns the ids of the style layers a click may hit, topmost first.
export function clickableLayers(ctx) {
  const kinds = new Map(ctx.state.layers.map((l) => [l.id, l.kind]));
  const ids = ctx.map.getStyle().layers
    .filter((l) => (l.type === 'fill' && l.source === RESULT) ||
      (l.type === 'fill' && ['parcels', 'derived'].includes(kinds.get(l['source-layer']))))
    .map((l) => l.id);
  return ids.reverse();
}

export function onMapClick(ctx, e) {
  const layers = clickableLayers(ctx).filter((id) => ctx.map.getLayoutProperty(id, 'visibility') !== 'none');
  const hits = ctx.map.queryRenderedFeatures(e.point, { layers });
  if (!hits.length) return;
  const hit = hits[0];
  if (hit.source === RESULT) showResult(ctx, hit.id, e.lngLat);
  else showFeature(ctx, hit.sourceLayer, hit.id, e.lngLat);
}

function row(label, value, attrs = {}) {
  return el('tr', attrs, el('th', { scope: 'row', text: label }), el('td', {}, value));
}

function warningTag(v) {
  const w = warningLevels.find((x) => x.value === v);
  const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
  swatch.style.background = w ? w.color : noWarningColor;
  return el('span', { class: 'class-tag' }, swatch, w ? w.value : '无');
}

function classTag(props, layer) {
  const k = classify(props, layer);
  const c = classes.find((x) => x.id === k);
  return el('span', { class: 'class-tag' }, el('span', { class: `swatch swatch-${k}`, 'aria-hidden': 'true' }), c.label);
}

// parcelTable lists the key attributes of a parcel, found through the layer's roles.
function parcelTable(props, layer) {
  const roles = layer?.roles || {};
  const labels = computedLabels(layer);
  const val = (role, fallback) => props[roles[role] ?? fallback];
  const rows = [
    row('地块编号', show(val('code', 'DKBH')), { 'data-key': 'code' }),
    row('权利人', show(val('owner', 'QLR'))),
    row(labels.area_mu || '面积(亩)', mu4(props.area_mu), { 'data-key': 'area_mu' }),
    row('分类', classTag(props, layer)),
    row('五未类型', show(val('five_wei', 'WWLX'))),
    row('亩均税收(万元/亩)', show(val('tax_per_mu', 'MJSS'))),
    row('容积率', show(val('far', 'RJL'))),
  ];
  if (props.control_position) {
    let v = positionLabel[props.control_position] || props.control_position;
    if (props.control_position !== 'inside') v += `，线外 ${mu4(props.outside_mu)} 亩（${pct(props.outside_ratio)}）`;
    rows.push(row(labels.control_position || '与控制线关系', v, { 'data-key': 'control_position' }));
  }
  if (props.block_id !== undefined) {
    rows.push(row(labels.block_id || '连片区块编号', `${props.block_id}（${mu4(props.block_mu)} 亩${props.scattered ? '，零星' : ''}）`, { 'data-key': 'block_id' }));
  }
  // The disposal state is shown by the ledger below a parcels layer's popup.
  const placeRoles = [['district', '行政区'], ['town', '乡镇(街道)'], ['park', '所在园区']];
  if (layer?.kind !== 'parcels') placeRoles.push(['disposal_state', '处置状态']);
  for (const [role, label] of placeRoles) {
    if (roles[role] && props[roles[role]] !== undefined) rows.push(row(label, show(props[roles[role]])));
  }
  // The warning as mudi computes it today (absent when there is none), else as delivered.
  if ('warning' in props || labels.warning) {
    rows.push(row(labels.warning || '预警等级', warningTag(props.warning), { 'data-key': 'warning' }));
  } else if (roles.warning && props[roles.warning] !== undefined) {
    rows.push(row('预警等级', show(props[roles.warning])));
  }
  return el('table', {}, el('tbody', {}, rows));
}

// allAttributes lists every attribute: source fields in schema order under their aliases, then
// the computed ones under the labels the layer declares for them.
function allAttributes(props, layer) {
  const labels = computedLabels(layer);
  const computedNames = new Set(Object.values(labels));
  const rows = [];
  const seen = new Set();
  for (const f of layer?.fields || []) {
    if (!(f.name in props)) continue;
    seen.add(f.name);
    let label = f.alias || f.name;
    if (computedNames.has(label)) label += '（原数据）';
    rows.push(row(label === f.name ? label : `${label} ${f.name}`, show(props[f.name])));
  }
  for (const [k, v] of Object.entries(props)) {
    if (seen.has(k) || k in labels) continue;
    rows.push(row(k, show(v)));
  }
  for (const [k, label] of Object.entries(labels)) {
    if (!(k in props)) continue;
    const v = props[k];
    rows.push(row(label, k.endsWith('_ratio') || k === 'inside_share' ? pct(v) : k === 'control_position' ? (positionLabel[v] || v) : show(v)));
  }
  return el('details', {}, el('summary', { text: `全部属性（${rows.length}）` }), el('table', {}, el('tbody', {}, rows)));
}

function parcelContent(feature, layer, heading) {
  const props = feature.properties || {};
  const code = props[layer?.roles?.code ?? 'DKBH'];
  return el('div', { class: 'popup', 'data-feature': String(feature.id) },
    el('h3', { tabindex: '-1', text: `${heading} ${show(code ?? feature.id)}` }),
    parcelTable(props, layer),
    allAttributes(props, layer));
}

function blockContent(feature, heading) {
  const p = feature.properties || {};
  const codes = Array.isArray(p.parcel_codes) ? p.parcel_codes : [];
  const list = codes.length > 12 ? `${codes.slice(0, 12).join('、')} 等 ${codes.length} 宗` : codes.join('、');
  return el('div', { class: 'popup', 'data-feature': String(feature.id) },
    el('h3', { text: `${heading} ${show(p.block_id ?? feature.id)}` }),
    el('table', {}, el('tbody', {},
      row('面积(亩)', mu4(p.area_mu), { 'data-key': 'area_mu' }),
      row('地块数', show(p.parcel_count)),
      p.inside_share !== undefined ? row('线内比例', pct(p.inside_share)) : null,
      p.outside_mu !== undefined ? row('线外面积(亩)', mu4(p.outside_mu)) : null,
      codes.length ? row('地块编号', list) : null)));
}

async function showFeature(ctx, layerID, fid, lngLat) {
  const layer = ctx.state.layers.find((l) => l.id === layerID);
  pending?.abort();
  const ctrl = new AbortController();
  pending = ctrl;
  open(ctx, lngLat, el('div', { class: 'popup' }, el('p', { text: '正在读取属性…' })));
  try {
    const f = await getJSON(`/api/layers/${encodeURIComponent(layerID)}/features/${encodeURIComponent(fid)}`, { signal: ctrl.signal });
    if (ctrl.signal.aborted) return;
    const content = layer?.kind === 'derived' && 'parcel_count' in (f.properties || {})
      ? blockContent(f, `${layer.title || layer.id} · 片区`)
      : parcelContent(f, layer, layer?.kind === 'derived' ? `${layer.title || layer.id} ·` : '地块');
    open(ctx, lngLat, content);
    setSelection(ctx, f);
    const code = f.properties?.[layer?.roles?.code ?? 'DKBH'];
    if (layer?.kind === 'parcels' && code !== undefined && code !== null && code !== '') {
      await appendLedger(ctx, layer, String(code), lngLat, content, ctrl);
    }
  } catch (err) {
    if (err.name === 'AbortError') return;
    open(ctx, lngLat, el('div', { class: 'popup' }, el('p', { class: 'error', text: message(err) })));
  }
}

// appendLedger loads the parcel's ledger into its open popup.
async function appendLedger(ctx, layer, code, lngLat, content, ctrl) {
  const slot = el('div', { class: 'ledger-slot' }, el('p', { text: '正在读取台账…' }));
  content.append(slot);
  try {
    const data = await loadLedger(layer.id, code, { signal: ctrl.signal });
    if (ctrl.signal.aborted) return;
    slot.replaceChildren(ledgerSection(layer, data, {
      onResize: () => fitPopup(ctx),
      onNeedKey: () => document.getElementById('key-button')?.click(),
      onSaved: async (saved) => {
        setSelection(ctx, saved);
        await refreshTiles(ctx.map);
        await showParcel(ctx, layer.id, code, lngLat);
        ctx.onLedgerChanged?.(layer.id, code);
      },
    }));
    popup.setLngLat(lngLat); // anchors the grown popup again
    fitPopup(ctx);
  } catch (err) {
    if (err.name === 'AbortError') return;
    slot.replaceChildren(el('p', { class: 'error', text: `台账：${message(err)}` }));
  }
}

// showParcel opens the popup of a parcel given by its code (from the ledger table), at lngLat or
// else at the map's centre; with focus, the keyboard focus moves to the popup's heading.
export async function showParcel(ctx, layerID, code, lngLat, { focus = false } = {}) {
  const layer = ctx.state.layers.find((l) => l.id === layerID);
  pending?.abort();
  const ctrl = new AbortController();
  pending = ctrl;
  try {
    const f = await getJSON(`/api/layers/${encodeURIComponent(layerID)}/parcels/${encodeURIComponent(code)}`, { signal: ctrl.signal });
    if (ctrl.signal.aborted) return;
    const at = lngLat || ctx.map.getCenter();
    const content = parcelContent(f, layer, '地块');
    open(ctx, at, content);
    setSelection(ctx, f);
    await appendLedger(ctx, layer, code, at, content, ctrl);
    if (focus) content.querySelector('h3')?.focus({ preventScroll: true });
  } catch (err) {
    if (err.name === 'AbortError') return;
    open(ctx, lngLat || ctx.map.getCenter(), el('div', { class: 'popup' }, el('p', { class: 'error', text: message(err) })));
  }
}

function showResult(ctx, id, lngLat) {
  const r = ctx.state.result;
  const f = r?.byID.get(id);
  if (!f) return;
  const layer = ctx.state.layers.find((l) => l.id === r.layer);
  open(ctx, lngLat, r.data.summary?.kind === 'blocks' ? blockContent(f, '片区') : parcelContent(f, layer, '地块'));
  setSelection(ctx, f);
}

// showResultFeature opens the popup of a result feature at its first coordinate's bounds centre.
export function showResultFeature(ctx, f, center) {
  showResult(ctx, f.id, center);
}
