// Numbers, labels and the status classes of parcels, in Chinese.

const nf = (digits) => new Intl.NumberFormat('zh-CN', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const fmt2 = nf(2);
const fmt4 = nf(4);
const fmt0 = nf(0);

// mu formats an area in 亩 with two decimals and thousands separators.
export const mu = (v) => (Number.isFinite(v) ? fmt2.format(v) : '—');
// mu4 formats an area in 亩 with four decimals (as ledgers carry it).
export const mu4 = (v) => (Number.isFinite(v) ? fmt4.format(v) : '—');
export const int = (v) => (Number.isFinite(v) ? fmt0.format(v) : '—');
export const pct = (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '—');

export const kindLabel = { parcels: '地块', control: '控制线', derived: '分析结果' };

export const positionLabel = { inside: '是（线内）', outside: '否（线外）', straddling: '跨线' };

// Labels of the fields of analysis results that are not attributes of a layer (the layers'
// computed attributes carry their own labels: see computedLabels).
export const resultLabels = {
  inside_share: '线内比例',
  parcel_count: '地块数',
  parcel_ids: '地块 ID',
  parcel_codes: '地块编号',
};

// computedLabels maps the names of the attributes mudi computes for a layer (GET
// /api/layers/{id} → computed) to their Chinese labels, then the analysis-result fields.
export function computedLabels(layer) {
  const labels = {};
  for (const c of layer?.computed || []) labels[c.name] = c.alias || c.title || c.name;
  for (const [k, v] of Object.entries(resultLabels)) if (!(k in labels)) labels[k] = v;
  return labels;
}

// computedType returns the type the layer declares for a computed attribute ('' if unknown).
export function computedType(layer, name) {
  return layer?.computed?.find((c) => c.name === name)?.type || '';
}

// The ledger (一宗一策) fields of a parcel and the disposal states, in workflow order.
export const ledgerFields = [
  { name: 'XCYY', label: '形成原因', type: 'text' },
  { name: 'CZCS', label: '处置措施', type: 'multiline' },
  { name: 'WCSX', label: '完成时限', type: 'date' },
  { name: 'ZRDW', label: '责任单位', type: 'text' },
  { name: 'ZRR', label: '责任人', type: 'text' },
];
export const stateField = { name: 'CZZT', label: '处置状态' };
export const closedOnField = { name: 'XHRQ', label: '销号日期' };
export const disposalStates = ['未启动', '处置中', '待核验', '已销号'];

// needsReason tells whether moving from one disposal state to another must give a reason:
// returning a parcel after review (待核验 → 处置中) and reopening a closed one (已销号 → 处置中).
export function needsReason(from, to) {
  return to === '处置中' && (from === '待核验' || from === '已销号');
}

// Warning levels (预警等级) and the colours the warning map draws them in.
export const warningLevels = [
  { value: '红', key: 'red', color: '#d32f2f' },
  { value: '橙', key: 'orange', color: '#f57c00' },
  { value: '黄', key: 'yellow', color: '#fbc02d' },
  { value: '绿', key: 'green', color: '#388e3c' },
];
export const noWarningColor = '#9e9e9e';

// dateTime formats an RFC 3339 time as a local date and time (2026-11-21 16:00).
export function dateTime(s) {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return show(s);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

// bytes formats a file size.
export function bytes(n) {
  if (!Number.isFinite(n)) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// Status classes, in the order the default style tests them (tiles/style.go).
export const classes = [
  { id: 'idle', label: '闲置土地', note: '是否闲置 = 是' },
  { id: 'five', label: '五未土地', note: '批而未供、供而未用、用而未尽、建而未投、投而未达标' },
  { id: 'low', label: '低效用地', note: '是否低效 = 是、亩均评价 D 或有低效类型' },
  { id: 'other', label: '其他工业用地', note: '正常利用' },
];

const idleValues = ['闲置', '闲置土地', 'idle'];
const fiveValues = ['批而未供', '供而未用', '用而未尽', '建而未投', '投而未达标', '五未'];
const lowValues = ['低效', '低效用地', 'low', 'low-efficiency', 'inefficient'];
const conventional = ['SFXZ', 'WWLX', 'SFDX', 'DXLX', 'MJDJ'];

const present = (v) => v !== null && v !== undefined && String(v).length > 0;

// classify returns the status class of a parcel's properties, as the default style colours it.
export function classify(props, layer) {
  const statusField = layer?.roles?.status;
  const custom = statusField && !conventional.includes(statusField) ? String(props[statusField] ?? '') : null;
  if (props.SFXZ === '是' || (custom !== null && idleValues.includes(custom))) return 'idle';
  if (present(props.WWLX) || (custom !== null && fiveValues.includes(custom))) return 'five';
  if (props.SFDX === '是' || props.MJDJ === 'D' || present(props.DXLX) || (custom !== null && lowValues.includes(custom))) return 'low';
  return 'other';
}

// show formats an attribute value for display.
export function show(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? '是' : '否';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 10000) / 10000);
  if (Array.isArray(v)) return v.join('、');
  return String(v);
}

// el builds an element; text content only (never HTML), so attribute values cannot inject markup.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
