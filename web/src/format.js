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

// Labels of the attributes mudi derives (spatial.DerivedKeys) and of analysis results.
export const derivedLabels = {
  area_m2: '面积(㎡)',
  area_mu: '面积(亩)',
  control_position: '控制线内',
  outside_ratio: '线外比例',
  outside_mu: '线外面积(亩)',
  block_id: '所属片区',
  block_mu: '片区面积(亩)',
  scattered: '零星地块',
  inside_share: '线内比例',
  parcel_count: '地块数',
  parcel_ids: '地块 ID',
  parcel_codes: '地块编号',
};

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
