// The analysis panel: the three presets of GET /api/analyses/{preset} with their parameters,
// the result drawn on the map with its summary and a GeoJSON download, and "save as layer"
// (POST /api/analyses with save_as, which needs a write key).
import { getGeoJSON, getJSON, message, postJSON } from './api.js';
import { el, int, mu, show } from './format.js';
import { RESULT, geometryBounds, syncOverlays } from './map.js';
import { closePopup, showResultFeature } from './popup.js';
import { apiKey, onKeyChange, setApiKey } from './key.js';

export const presets = {
  'small-parcels': { title: '零星地块', unit: '宗', what: '地块', defaultStatus: '默认（全部地块）' },
  'outside-control': { title: '控制线外地块', unit: '宗', what: '地块', defaultStatus: '默认（全部地块）' },
  'contiguous-blocks': { title: '连片区块', unit: '个', what: '片区', defaultStatus: '默认（低效、闲置、五未地块）' },
};

const $ = (id) => document.getElementById(id);

export function setupAnalysis(ctx) {
  const form = $('analysis-form');
  form.addEventListener('change', (e) => {
    if (e.target.name === 'preset' || e.target.name === 'status_mode') syncForm();
    if (e.target.name === 'layer') loadStatusValues(ctx);
    if (e.target.getAttribute('aria-invalid')) e.target.removeAttribute('aria-invalid');
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run(ctx);
  });
  $('clear-result').addEventListener('click', () => clearResult(ctx));
  $('save-form').addEventListener('submit', (e) => {
    e.preventDefault();
    save(ctx);
  });
  $('save-key').value = apiKey();
  onKeyChange((key) => {
    $('save-key').value = key;
  });
  syncForm();
}

// refreshLayerOptions fills the layer selects with the parcels layers, keeping the choice.
export function refreshLayerOptions(ctx, select) {
  const parcels = ctx.state.layers.filter((l) => l.kind === 'parcels');
  const keep = select.value;
  select.replaceChildren(...parcels.map((l) => el('option', { value: l.id, text: `${l.title || l.id}（${l.id}）` })));
  if (parcels.some((l) => l.id === keep)) select.value = keep;
  select.disabled = parcels.length === 0;
}

export function onLayersChanged(ctx) {
  refreshLayerOptions(ctx, $('an-layer'));
  loadStatusValues(ctx);
}

function syncForm() {
  const form = $('analysis-form');
  const preset = form.elements.preset.value;
  for (const box of form.querySelectorAll('[data-preset]')) box.hidden = box.dataset.preset !== preset;
  $('status-default-label').textContent = presets[preset].defaultStatus;
  $('status-values').hidden = form.elements.status_mode.value !== 'pick';
}

const statusCache = new Map();

// loadStatusValues lists the values of the layer's status field as checkboxes.
async function loadStatusValues(ctx) {
  const id = $('an-layer').value;
  const box = $('status-values');
  const layer = ctx.state.layers.find((l) => l.id === id);
  if (!layer) return box.replaceChildren();
  const cacheKey = `${id}@${layer.version}`;
  let values = statusCache.get(cacheKey);
  if (!values) {
    try {
      const res = await getJSON(`/api/stats?layer=${encodeURIComponent(id)}&group_by=status`);
      values = res.stats.groups.map((g) => g.keys[0]).filter((v) => v !== '' && v !== null);
    } catch {
      values = []; // no status role: only the default and "all"
    }
    statusCache.set(cacheKey, values);
  }
  if ($('an-layer').value !== id) return;
  const field = layer.roles?.status;
  box.replaceChildren(
    ...(values.length
      ? values.map((v, i) => el('label', {}, el('input', { type: 'checkbox', name: 'status', value: v, id: `status-v-${i}` }), ` ${v}`))
      : [el('span', { class: 'empty', text: '该图层没有状态字段。' })]),
  );
  if (field) box.setAttribute('aria-label', `状态字段 ${field} 的取值`);
}

// readParams turns the form into the preset's query and the equivalent POST body.
function readParams() {
  const form = $('analysis-form');
  const preset = form.elements.preset.value;
  const layer = form.elements.layer.value;
  const query = new URLSearchParams({ layer });
  const body = { layer };
  const errors = [];
  const number = (name, { empty }) => {
    const input = form.elements[name];
    const raw = input.value.trim();
    if (raw === '') return empty;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < 0) {
      errors.push([input, `${input.labels[0]?.textContent || name}须为非负数`]);
      return undefined;
    }
    return v;
  };
  if (!layer) errors.push([form.elements.layer, '没有地块图层可分析']);
  if (preset === 'small-parcels') {
    body.max_mu = number('max_mu', { empty: 50 });
    query.set('max_mu', body.max_mu);
  } else if (preset === 'outside-control') {
    body.overlay = true;
    body.positions = ['outside', 'straddling'];
  } else {
    body.group = true;
    body.min_mu = number('min_mu', { empty: 0 });
    const max = number('block_max_mu', { empty: undefined });
    body.tolerance_m = number('tolerance_m', { empty: 0 });
    query.set('min_mu', body.min_mu);
    if (max !== undefined) {
      body.max_mu = max;
      query.set('max_mu', max);
    }
    query.set('tolerance_m', body.tolerance_m);
  }
  const mode = form.elements.status_mode.value;
  if (mode === 'all') body.status = ['*'];
  if (mode === 'pick') {
    body.status = [...form.querySelectorAll('input[name="status"]:checked')].map((i) => i.value);
    if (!body.status.length) errors.push([$('status-values').querySelector('input') || form.elements.status_mode[2], '请至少选择一个状态']);
  }
  if (body.status) query.set('status', body.status.join(','));
  return { preset, layer, query, body, errors };
}

function showError(id, text, input) {
  const p = $(id);
  p.textContent = text;
  p.hidden = !text;
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
}

// fieldFor maps a parameter named by a problem response to its input.
function fieldFor(param, preset) {
  const form = $('analysis-form');
  const name = param === 'max_mu' && preset === 'contiguous-blocks' ? 'block_max_mu' : param;
  const f = form.elements[name];
  return f instanceof HTMLElement ? f : null;
}

async function run(ctx) {
  const p = readParams();
  for (const i of $('analysis-form').querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
  if (p.errors.length) return showError('analysis-error', p.errors.map((e) => e[1]).join('；'), p.errors[0][0]);
  showError('analysis-error', '');
  const button = $('run-analysis');
  button.disabled = true;
  button.textContent = '正在分析…';
  ctx.status(`正在运行“${presets[p.preset].title}”分析…`);
  try {
    const { text, data } = await getGeoJSON(`/api/analyses/${p.preset}?${p.query}`);
    setResult(ctx, p, text, data);
  } catch (err) {
    showError('analysis-error', message(err), fieldFor(err.param, p.preset));
    ctx.status('分析失败');
  } finally {
    button.disabled = false;
    button.textContent = '运行分析';
  }
}

function setResult(ctx, p, text, data) {
  const { state, map } = ctx;
  const def = presets[p.preset];
  const old = state.result;
  if (old?.url) URL.revokeObjectURL(old.url);
  closePopup();
  const url = URL.createObjectURL(new Blob([text], { type: 'application/geo+json' }));
  state.result = {
    preset: p.preset, title: def.title, layer: p.layer, body: p.body, text, data, url,
    byID: new Map(data.features.map((f) => [f.id, f])),
  };
  map.getSource(RESULT).setData(data);
  state.hidden.delete(RESULT);
  syncOverlays(map, state);

  const s = data.summary || {};
  const dl = $('result-summary');
  const blocks = s.kind === 'blocks';
  dl.replaceChildren(
    el('dt', { text: '分析' }), el('dd', { text: def.title }),
    el('dt', { text: '数量' }), el('dd', {}, el('span', { 'data-summary': 'count', text: int(s.count) }), ` ${def.unit}${def.what}`),
    el('dt', { text: '合计面积' }), el('dd', {}, el('span', { 'data-summary': 'area_mu', text: mu(s.area_mu) }), ' 亩'),
    ...(blocks ? [el('dt', { text: '涉及地块' }), el('dd', {}, el('span', { 'data-summary': 'parcel_count', text: int(s.parcel_count) }), ' 宗')] : []),
    el('dt', { text: '条件' }), el('dd', { text: describe(s.params || {}, p.preset) }),
    el('dt', { text: '用时' }), el('dd', { text: `${show(s.elapsed_ms)} 毫秒` }),
  );
  $('result-title').textContent = `分析结果：${def.title}`;
  const a = $('download-result');
  a.href = url;
  a.download = `${p.preset}-${p.layer}.geojson`;
  renderList(ctx, data, blocks);
  $('save-id').value = $('save-id').value || `${p.preset === 'contiguous-blocks' ? 'blocks' : p.preset}-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
  $('save-title').value = `${def.title}（${describe(s.params || {}, p.preset)}）`;
  $('save-ok').hidden = true;
  showError('save-error', '');
  $('analysis-result').hidden = false;
  $('analysis-result').scrollIntoView({ block: 'start' });
  ctx.onResult();

  const b = geometryBounds(data);
  if (b) map.fitBounds(b, { padding: 60, maxZoom: 15, duration: 0 });
  ctx.status(s.count ? `${def.title}：${int(s.count)} ${def.unit}，合计 ${mu(s.area_mu)} 亩` : `${def.title}：没有符合条件的${def.what}`);
}

// describe states the parameters of a result in words.
function describe(params, preset) {
  const parts = [];
  if (preset === 'small-parcels' && params.max_mu !== undefined) parts.push(`面积 < ${params.max_mu} 亩`);
  if (preset === 'outside-control') parts.push(`控制线 ${params.control || '—'}`);
  if (preset === 'contiguous-blocks') {
    if (params.min_mu !== undefined) parts.push(`≥ ${params.min_mu} 亩`);
    if (params.max_mu !== undefined) parts.push(`< ${params.max_mu} 亩`);
    parts.push(`容差 ${params.tolerance_m ?? 0} 米`);
  }
  if (Array.isArray(params.status) && params.status.length) parts.push(params.status[0] === '*' ? '全部地块' : `状态：${params.status.join('、')}`);
  else if (params.selection === 'low_efficiency') parts.push('低效、闲置、五未地块');
  return parts.join('，');
}

function renderList(ctx, data, blocks) {
  const feats = [...data.features].sort((a, b) => (b.properties.area_mu ?? 0) - (a.properties.area_mu ?? 0));
  const shown = feats.slice(0, 100);
  const layer = ctx.state.layers.find((l) => l.id === ctx.state.result.layer);
  const codeField = layer?.roles?.code ?? 'DKBH';
  $('result-list-summary').textContent = feats.length > shown.length ? `结果列表（按面积，前 ${shown.length} / ${feats.length}）` : `结果列表（${feats.length}）`;
  $('result-list').replaceChildren(...shown.map((f) => {
    const p = f.properties;
    const label = blocks
      ? `片区 ${show(p.block_id ?? f.id)} · ${mu(p.area_mu)} 亩 · ${int(p.parcel_count)} 宗`
      : `${show(p[codeField] ?? f.id)} · ${mu(p.area_mu)} 亩`;
    return el('li', {}, el('button', {
      type: 'button', text: label,
      onclick: () => {
        const b = geometryBounds(f);
        if (!b) return;
        ctx.map.fitBounds(b, { padding: 80, maxZoom: 16, duration: 0 });
        showResultFeature(ctx, f, b.getCenter());
      },
    }));
  }));
}

function clearResult(ctx) {
  const { state, map } = ctx;
  if (state.result?.url) URL.revokeObjectURL(state.result.url);
  state.result = null;
  closePopup();
  map.getSource(RESULT).setData({ type: 'FeatureCollection', features: [] });
  syncOverlays(map, state);
  $('analysis-result').hidden = true;
  ctx.onResult();
  ctx.status('已清除分析结果');
}

async function save(ctx) {
  const r = ctx.state.result;
  if (!r) return;
  const id = $('save-id');
  const key = $('save-key');
  for (const i of [id, key]) i.removeAttribute('aria-invalid');
  $('save-ok').hidden = true;
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(id.value)) return showError('save-error', '图层编号须为小写字母、数字、- 或 _（首字符为字母或数字）', id);
  if (ctx.state.layers.some((l) => l.id === id.value)) return showError('save-error', `已有图层 ${id.value}，请换一个编号`, id);
  if (!key.value) return showError('save-error', '请填写写入密钥', key);
  showError('save-error', '');
  const button = $('save-result');
  button.disabled = true;
  try {
    await postJSON('/api/analyses', { ...r.body, save_as: id.value, title: $('save-title').value.trim() || undefined }, key.value);
    setApiKey(key.value);
    await ctx.refreshLayers();
    // The saved layer is drawn from tiles now; hide the overlay that showed the same shapes.
    ctx.state.hidden.add(RESULT);
    syncOverlays(ctx.map, ctx.state);
    ctx.onResult();
    const ok = $('save-ok');
    ok.textContent = `已保存为图层 ${id.value}，见“图层”面板“已保存的分析”。`;
    ok.hidden = false;
    ctx.status(`已保存为图层 ${id.value}`);
    id.value = '';
  } catch (err) {
    const input = err.status === 401 || err.status === 403 ? key : err.param === 'save_as' ? id : null;
    showError('save-error', message(err), input);
  } finally {
    button.disabled = false;
  }
}
