// The statistics panel: per district, the parcels' count, 亩 and 亩均税收 by status, from
// GET /api/stats?layer=…&group_by=district,status.
import { getJSON, message } from './api.js';
import { el, int, mu } from './format.js';
import { refreshLayerOptions } from './analysis.js';

const $ = (id) => document.getElementById(id);
let loaded = '';

export function setupStats(ctx) {
  $('stats-layer').addEventListener('change', () => loadStats(ctx, true));
}

export function onLayersChangedStats(ctx) {
  refreshLayerOptions(ctx, $('stats-layer'));
}

// loadStats fetches and renders the statistics of the selected layer (again only when the
// layer or its version changed, or force).
export async function loadStats(ctx, force = false) {
  const id = $('stats-layer').value;
  const layer = ctx.state.layers.find((l) => l.id === id);
  const box = $('stats-table-box');
  const err = $('stats-error');
  if (!layer) {
    box.replaceChildren(el('p', { class: 'empty', text: '没有地块图层。' }));
    return;
  }
  const key = `${id}@${layer.version}`;
  if (!force && loaded === key) return;
  box.replaceChildren(el('p', { text: '正在统计…' }));
  err.hidden = true;
  try {
    const res = await getJSON(`/api/stats?layer=${encodeURIComponent(id)}&group_by=district,status`);
    box.replaceChildren(table(res.stats, layer));
    loaded = key;
  } catch (e) {
    box.replaceChildren();
    err.textContent = `${message(e)}${e.param === 'group_by' ? '（该图层需要“行政区”和“状态”字段）' : ''}`;
    err.hidden = false;
  }
}

function table(stats, layer) {
  const districts = new Map();
  for (const g of stats.groups) {
    const [d, s] = g.keys;
    if (!districts.has(d)) districts.set(d, { count: 0, area: 0, rows: [] });
    const t = districts.get(d);
    t.count += g.count;
    t.area += g.area_mu;
    t.rows.push({ status: s, ...g });
  }
  const [dField, sField] = stats.group_by || [];
  const alias = (f) => layer.fields?.find((x) => x.name === f)?.alias || f;
  const label = (v) => (v === '' || v === null || v === undefined ? '（无）' : String(v));
  const bodies = [...districts.entries()].map(([d, t]) => el('tbody', { 'data-district': label(d) },
    el('tr', { class: 'district' },
      el('th', { scope: 'rowgroup', text: label(d) }), el('td', { text: int(t.count) }), el('td', { text: mu(t.area) }), el('td', { text: '' })),
    ...t.rows.map((r) => {
      const share = t.area > 0 ? r.area_mu / t.area : 0;
      const bar = el('span', { class: 'bar', 'aria-hidden': 'true' });
      bar.style.width = `${Math.round(share * 100)}%`;
      return el('tr', {},
        el('th', { scope: 'row' }, el('span', { class: 'status-cell' }, label(r.status))),
        el('td', { text: int(r.count) }),
        el('td', {}, mu(r.area_mu), bar),
        el('td', { text: r.tax_per_mu === null ? '—' : mu(r.tax_per_mu) }));
    })));
  const total = stats.total || {};
  return el('table', { class: 'stats' },
    el('caption', { text: `${layer.title || layer.id}：按${alias(dField)}、${alias(sField)}统计` }),
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col', text: '行政区 / 状态' }), el('th', { scope: 'col', text: '宗数' }),
      el('th', { scope: 'col', text: '面积(亩)' }), el('th', { scope: 'col', text: '亩均税收' }))),
    ...bodies,
    el('tbody', {}, el('tr', { class: 'total' },
      el('th', { scope: 'row', text: '合计' }), el('td', { text: int(total.count) }), el('td', { text: mu(total.area_mu) }),
      el('td', { text: total.tax_per_mu === null || total.tax_per_mu === undefined ? '—' : mu(total.tax_per_mu) }))));
}
