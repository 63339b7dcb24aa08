// The 台账/监测 view beside the map: the ledger table (GET /api/ledger: filter, sort, click a row
// to zoom to the parcel and open its popup), the monthly report (GET /api/report per 行政区, 乡镇
// or 园区, with totals and targets), the progress chart per district, and the Excel downloads of
// both (the same URLs with format=xlsx).
import { getJSON, message, resolve } from './api.js';
import { computedLabels, disposalStates, el, int, mu, mu4, noWarningColor, pct, positionLabel, show, warningLevels } from './format.js';
import { showParcel } from './popup.js';
import { setupTabs } from './tabs.js';

const $ = (id) => document.getElementById(id);

const dash = {
  open: false,
  tab: 'dash-tab-ledger',
  layer: '',
  ledger: null, // the last /api/ledger answer
  ledgerKey: '', // layer@version?as_of of the loaded ledger
  sort: { key: 'code', dir: 1 },
  report: null,
  reportKey: '',
  chart: null,
  chartKey: '',
  monthChosen: false, // the user picked the report's month
};

const groupLabels = { district: '行政区', town: '乡镇(街道)', park: '园区' };
const UNSET = '（未填）';
const NONE = '（无）';

// thisMonth is the current month in the browser's time zone, YYYY-MM.
function thisMonth() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

export function setupDashboard(ctx) {
  const button = $('dashboard-button');
  const box = $('dashboard');
  const toggle = (open) => {
    dash.open = open;
    box.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    document.body.classList.toggle('with-dashboard', open);
    ctx.map.resize();
    if (open) {
      loadTab(ctx);
      $('dashboard-title').focus();
    }
  };
  button.addEventListener('click', () => toggle(!dash.open));
  $('dashboard-close').addEventListener('click', () => {
    toggle(false);
    button.focus();
  });
  setupTabs($('dashboard-tabs'), (tab) => {
    dash.tab = tab.id;
    loadTab(ctx);
  });
  $('dash-layer').addEventListener('change', () => {
    dash.layer = $('dash-layer').value;
    loadTab(ctx, true);
  });
  for (const id of ['ledger-district', 'ledger-state', 'ledger-warning']) $(id).addEventListener('change', () => renderLedger(ctx));
  $('ledger-as-of').addEventListener('change', () => loadLedger(ctx, true));
  $('report-month').value = thisMonth();
  $('report-month').addEventListener('change', () => {
    dash.monthChosen = true;
    loadTab(ctx);
  });
  $('report-group').addEventListener('change', () => loadReport(ctx));
  ctx.onLedgerChanged = async () => {
    dash.ledgerKey = dash.reportKey = dash.chartKey = ''; // stale: reload what is shown
    try {
      ctx.state.layers = (await getJSON('/api/layers')).layers;
    } catch {
      // the layer list is refreshed again on the next change
    }
    if (dash.open) loadTab(ctx);
  };
  window.addEventListener('resize', () => dash.chart?.resize());
}

export function onLayersChangedDashboard(ctx) {
  const select = $('dash-layer');
  const parcels = ctx.state.layers.filter((l) => l.kind === 'parcels');
  const keep = select.value || dash.layer;
  select.replaceChildren(...parcels.map((l) => el('option', { value: l.id, text: `${l.title || l.id}（${l.id}）` })));
  if (parcels.some((l) => l.id === keep)) select.value = keep;
  dash.layer = select.value;
  select.disabled = parcels.length === 0;
  if (dash.open) loadTab(ctx);
}

function loadTab(ctx, force = false) {
  if (!dash.open) return;
  if (dash.tab === 'dash-tab-ledger') loadLedger(ctx, force);
  else if (dash.tab === 'dash-tab-report') loadReport(ctx, force);
  else loadChart(ctx, force);
}

const layerOf = (ctx) => ctx.state.layers.find((l) => l.id === dash.layer);

function showError(id, err) {
  const p = $(id);
  p.textContent = typeof err === 'string' ? err : message(err);
  p.hidden = false;
}

// --- the ledger table ---------------------------------------------------------------------

// ledgerColumns are the table's columns: the key of the row, its heading, how to show and sort.
function ledgerColumns(layer) {
  const labels = computedLabels(layer);
  const text = (v) => show(v);
  return [
    { key: 'code', label: '地块编号' },
    { key: 'owner', label: '权利人' },
    { key: 'district', label: '行政区' },
    { key: 'town', label: '乡镇(街道)' },
    { key: 'park', label: '园区' },
    { key: 'area_mu', label: '面积(亩)', num: true, fmt: mu4 },
    { key: 'control_position', label: labels.control_position || '与控制线关系', fmt: (v) => positionLabel[v] || show(v) },
    { key: 'idle_class', label: labels.idle_class || '闲置认定' },
    { key: 'idle_since', label: labels.idle_since || '闲置起算' },
    { key: 'wuwei', label: labels.wuwei || '五未' },
    { key: 'mu_tax', label: labels.mu_tax || '亩均税收(万元/亩)', num: true, fmt: (v) => (Number.isFinite(v) ? mu(v) : '—') },
    { key: 'mu_class', label: labels.mu_class || '亩均等级' },
    { key: 'warning', label: labels.warning || '预警等级', fmt: warningCell },
    { key: 'XCYY', label: '形成原因' },
    { key: 'CZCS', label: '处置措施' },
    { key: 'WCSX', label: '完成时限' },
    { key: 'ZRDW', label: '责任单位' },
    { key: 'ZRR', label: '责任人' },
    { key: 'CZZT', label: '处置状态' },
    { key: 'XHRQ', label: '销号日期' },
  ].map((c) => ({ fmt: text, ...c }));
}

function warningCell(v) {
  const w = warningLevels.find((x) => x.value === v);
  const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
  swatch.style.background = w ? w.color : noWarningColor;
  return el('span', { class: 'warning-cell' }, swatch, w ? w.value : '无');
}

async function loadLedger(ctx, force = false) {
  const layer = layerOf(ctx);
  const box = $('ledger-table-box');
  if (!layer) {
    box.replaceChildren(el('p', { class: 'empty', text: '没有地块图层。' }));
    return;
  }
  const asOf = $('ledger-as-of').value;
  const key = `${layer.id}@${layer.version}?${asOf}`;
  if (!force && key === dash.ledgerKey) return;
  $('ledger-error').hidden = true;
  const query = new URLSearchParams({ layer: layer.id });
  if (asOf) query.set('as_of', asOf);
  const xlsx = $('ledger-xlsx');
  query.set('format', 'xlsx');
  xlsx.href = resolve(`/api/ledger?${query}`);
  query.delete('format');
  box.replaceChildren(el('p', { text: '正在读取台账…' }));
  try {
    dash.ledger = await getJSON(`/api/ledger?${query}`);
    dash.ledgerKey = key;
    // The report's month starts as the month of the server's today (the ledger's as_of).
    if (!dash.monthChosen && /^\d{4}-\d{2}/.test(dash.ledger.as_of || '')) $('report-month').value = dash.ledger.as_of.slice(0, 7);
    fillLedgerFilters();
    renderLedger(ctx);
  } catch (err) {
    box.replaceChildren();
    showError('ledger-error', err);
  }
}

function fillLedgerFilters() {
  const rows = dash.ledger.rows || [];
  const options = (select, values, all) => {
    const keep = select.value;
    select.replaceChildren(el('option', { value: '', text: all }), ...values.map((v) => el('option', { value: v, text: v })));
    if (values.includes(keep)) select.value = keep;
  };
  const districts = [...new Set(rows.map((r) => r.district || NONE))].sort(collator.compare);
  options($('ledger-district'), districts, '全部行政区');
  options($('ledger-state'), [...disposalStates, UNSET], '全部状态');
  options($('ledger-warning'), [...warningLevels.map((w) => w.value), '无'], '全部预警');
}

function filteredRows() {
  const d = $('ledger-district').value;
  const s = $('ledger-state').value;
  const w = $('ledger-warning').value;
  return (dash.ledger?.rows || []).filter((r) => (!d || (r.district || NONE) === d) &&
    (!s || (r.CZZT || UNSET) === s) &&
    (!w || (r.warning || '无') === w));
}

const collator = new Intl.Collator('zh-CN', { numeric: true });

function compare(a, b, num) {
  const empty = (v) => v === null || v === undefined || v === '';
  if (empty(a) || empty(b)) return empty(a) - empty(b); // empty values last, whatever the direction
  if (num) return a - b;
  return collator.compare(String(a), String(b));
}

function renderLedger(ctx) {
  const layer = layerOf(ctx);
  const cols = ledgerColumns(layer);
  const col = cols.find((c) => c.key === dash.sort.key) || cols[0];
  const rows = filteredRows().sort((a, b) => {
    const c = compare(a[col.key], b[col.key], col.num);
    const empty = (v) => v === null || v === undefined || v === '';
    return empty(a[col.key]) || empty(b[col.key]) ? c : c * dash.sort.dir;
  });
  const total = dash.ledger?.rows?.length || 0;
  const area = rows.reduce((s, r) => s + (Number.isFinite(r.area_mu) ? r.area_mu : 0), 0);
  $('ledger-count').textContent = rows.length === total
    ? `共 ${int(total)} 宗，${mu(area)} 亩（截至 ${dash.ledger.as_of}）`
    : `筛选出 ${int(rows.length)} / ${int(total)} 宗，${mu(area)} 亩（截至 ${dash.ledger.as_of}）`;

  const head = el('tr', {}, cols.map((c) => {
    const sorted = c.key === dash.sort.key;
    const th = el('th', { scope: 'col', 'aria-sort': sorted ? (dash.sort.dir > 0 ? 'ascending' : 'descending') : null, class: c.num ? 'num' : null },
      el('button', {
        type: 'button', class: 'sort', 'data-key': c.key,
        onclick: () => {
          dash.sort = { key: c.key, dir: sorted ? -dash.sort.dir : 1 };
          renderLedger(ctx);
          $('ledger-table-box').querySelector(`button.sort[data-key="${c.key}"]`)?.focus();
        },
      }, c.label, el('span', { class: 'sort-mark', 'aria-hidden': 'true', text: sorted ? (dash.sort.dir > 0 ? ' ▲' : ' ▼') : '' })));
    return th;
  }));
  const body = document.createElement('tbody');
  const frag = document.createDocumentFragment();
  for (const r of rows) {
    const tr = el('tr', { 'data-code': r.code, 'data-state': r.CZZT || '' });
    for (const c of cols) {
      if (c.key === 'code') {
        tr.append(el('th', { scope: 'row' }, el('button', {
          type: 'button', class: 'link', text: show(r.code), 'aria-label': `在地图上查看地块 ${r.code}`,
        })));
        continue;
      }
      const v = c.fmt(r[c.key]);
      tr.append(el('td', { class: c.num ? 'num' : c.key === 'CZCS' ? 'long' : null }, v));
    }
    frag.append(tr);
  }
  body.append(frag);
  body.addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-code]');
    if (!tr) return;
    const r = dash.ledger.rows.find((x) => x.code === tr.dataset.code);
    // A keyboard user (the row's button, activated with Enter or Space) is taken to the popup.
    if (r) zoomTo(ctx, r, { focus: e.detail === 0 });
  });
  const table = el('table', { class: 'ledger-rows', id: 'ledger-table' },
    el('caption', { class: 'visually-hidden', text: '地块台账：点击地块编号或行，地图缩放到该地块并打开其台账' }),
    el('thead', {}, head));
  table.append(body);
  $('ledger-table-box').replaceChildren(table);
}

// zoomTo fits the map to a ledger row's bounds and opens the parcel's popup there.
function zoomTo(ctx, r, options) {
  const { map } = ctx;
  for (const tr of document.querySelectorAll('#ledger-table tr.current')) tr.classList.remove('current');
  document.querySelector(`#ledger-table tr[data-code="${CSS.escape(r.code)}"]`)?.classList.add('current');
  const b = r.bbox;
  if (!Array.isArray(b) || b.length !== 4) {
    showParcel(ctx, dash.layer, r.code, undefined, options);
    return;
  }
  const center = [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
  map.once('moveend', () => showParcel(ctx, dash.layer, r.code, center, options));
  map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 80, maxZoom: 17, duration: 0 });
}

// --- the monthly report -------------------------------------------------------------------

// The report's columns: a count (宗 and 亩) or a number of parcels, read from a group's tally.
const reportColumns = [
  { group: '合计', label: '地块', get: (t) => t.all },
  { group: '处置状态', label: '未启动', get: (t) => t.state.not_started },
  { group: '处置状态', label: '处置中', get: (t) => t.state.in_progress },
  { group: '处置状态', label: '待核验', get: (t) => t.state.awaiting_check },
  { group: '处置状态', label: '已销号', get: (t) => t.state.closed_off },
  { group: '处置状态', label: '未填', get: (t) => t.state.unset },
  { group: '处置状态', label: '其他', get: (t) => t.state.other },
  { group: '本月', label: '本月销号', get: (t) => t.closed_in_month },
  { group: '本月', label: '逾期', get: (t) => t.overdue },
  { group: '闲置', label: '满一年', get: (t) => t.idle.one_year },
  { group: '闲置', label: '满两年', get: (t) => t.idle.two_years },
  { group: '五未', label: '批而未供', get: (t) => t.wuwei.approved_not_supplied },
  { group: '五未', label: '供而未用', get: (t) => t.wuwei.supplied_not_used },
  { group: '五未', label: '用而未尽', get: (t) => t.wuwei.used_not_finished },
  { group: '五未', label: '建而未投', get: (t) => t.wuwei.built_not_producing },
  { group: '五未', label: '投而未达标', get: (t) => t.wuwei.producing_below_par },
  ...warningLevels.map((w) => ({ group: '预警(宗)', label: w.value, get: (t) => t.warning[w.key] })),
  { group: '预警(宗)', label: '无', get: (t) => t.warning.none },
  ...['a', 'b', 'c', 'd'].map((k) => ({ group: '亩均评价(宗)', label: k.toUpperCase(), get: (t) => t.mu_class[k] })),
  { group: '亩均评价(宗)', label: '未评价', get: (t) => t.mu_class.t },
];

function countCell(v) {
  if (v === undefined || v === null) return el('td', { text: '—' });
  if (typeof v === 'number') return el('td', { class: 'num', text: int(v) });
  return el('td', { class: 'num' }, el('span', { text: `${int(v.parcels)} 宗` }), el('br'), el('small', { text: `${mu(v.mu)} 亩` }));
}

function reportURL(ctx, format) {
  const q = new URLSearchParams({ layer: dash.layer, month: $('report-month').value || thisMonth(), group_by: $('report-group').value });
  if (format) q.set('format', format);
  return `/api/report?${q}`;
}

async function loadReport(ctx, force = false) {
  const layer = layerOf(ctx);
  const box = $('report-box');
  if (!layer) {
    box.replaceChildren(el('p', { class: 'empty', text: '没有地块图层。' }));
    return;
  }
  const url = reportURL(ctx);
  const key = `${layer.version}:${url}`;
  if (!force && key === dash.reportKey) return;
  $('report-error').hidden = true;
  $('report-xlsx').href = resolve(reportURL(ctx, 'xlsx'));
  box.replaceChildren(el('p', { text: '正在生成月报…' }));
  try {
    const res = await getJSON(url);
    dash.report = res;
    dash.reportKey = key;
    box.replaceChildren(...reportTables(res));
  } catch (err) {
    box.replaceChildren();
    showError('report-error', err);
  }
}

function reportTables(res) {
  const r = res.report;
  const by = (r.group_by || []).map((k) => groupLabels[k] || k).join(' / ') || '分组';
  const spans = [];
  for (const c of reportColumns) {
    if (spans.length && spans[spans.length - 1].group === c.group) spans[spans.length - 1].n++;
    else spans.push({ group: c.group, n: 1 });
  }
  const head = el('thead', {},
    el('tr', {}, el('th', { scope: 'col', rowspan: '2', text: by }), spans.map((s) => el('th', { scope: 'colgroup', colspan: String(s.n), text: s.group }))),
    el('tr', {}, reportColumns.map((c) => el('th', { scope: 'col', text: c.label }))));
  const line = (name, t, cls) => el('tr', { class: cls, 'data-group': name }, el('th', { scope: 'row', text: name }), reportColumns.map((c) => countCell(c.get(t))));
  const groups = (r.groups || []).map((g) => line(g.key.map((k) => k || NONE).join(' / '), g));
  const table = el('table', { class: 'report', id: 'report-table' },
    el('caption', { text: `${r.month} 月报（${r.from} 至 ${r.to}），按${by}统计` }),
    head, el('tbody', {}, groups), el('tfoot', {}, line('合计', r.total, 'total')));
  const out = [el('div', { class: 'table-scroll' }, table)];
  if (r.targets?.length) {
    const status = { done: '已完成', on_track: '进度正常', behind: '滞后', unknown: '无法判断' };
    out.push(el('div', { class: 'table-scroll' }, el('table', { class: 'report targets', id: 'targets-table' },
      el('caption', { text: '处置目标进度' }),
      el('thead', {}, el('tr', {}, ['分组', '目标(亩)', '起始', '截止', '已销号(宗)', '已销号(亩)', '完成率', '时间进度', '状态'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, r.targets.map((t) => el('tr', { class: `target-${t.status}` },
        el('th', { scope: 'row', text: t.group.length ? t.group.join(' / ') : '全部' }),
        el('td', { class: 'num', text: mu(t.mu) }), el('td', { text: t.start || '—' }), el('td', { text: t.due }),
        el('td', { class: 'num', text: int(t.closed_parcels) }), el('td', { class: 'num', text: mu(t.closed_mu) }),
        el('td', { class: 'num', text: pct(t.progress) }), el('td', { class: 'num', text: t.elapsed === null ? '—' : pct(t.elapsed) }),
        el('td', { text: status[t.status] || t.status }))))))) ;
  }
  return out;
}

// --- the progress chart -------------------------------------------------------------------

async function loadChart(ctx, force = false) {
  const layer = layerOf(ctx);
  const box = $('progress-chart');
  if (!layer) return;
  const q = new URLSearchParams({ layer: layer.id, month: $('report-month').value || thisMonth(), group_by: 'district' });
  const key = `${layer.version}:${q}`;
  if (!force && key === dash.chartKey) {
    dash.chart?.resize();
    return;
  }
  $('progress-error').hidden = true;
  try {
    const [{ drawProgress }, res] = await Promise.all([import('./chart.js'), getJSON(`/api/report?${q}`)]);
    dash.chart?.dispose();
    dash.chart = drawProgress(box, res.report, '行政区');
    dash.chartKey = key;
    const t = res.report.total;
    $('progress-note').textContent = `${res.report.month}：共 ${int(t.all.parcels)} 宗 ${mu(t.all.mu)} 亩，已销号 ${int(t.state.closed_off.parcels)} 宗 ${mu(t.state.closed_off.mu)} 亩（${pct(t.all.mu > 0 ? t.state.closed_off.mu / t.all.mu : 0)}），本月销号 ${int(t.closed_in_month.parcels)} 宗。`;
    box.dataset.drawn = 'true';
  } catch (err) {
    showError('progress-error', err);
  }
}
