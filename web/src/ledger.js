// A parcel's ledger (一宗一策) in its popup: the ledger fields and the disposal state from
// GET /api/layers/{layer}/parcels/{code}, the history (…/history) and the evidence files
// (…/evidence); with an API key, a form that edits the fields and moves the state to one of the
// next states the workflow allows (PATCH …/parcels/{code}, a JSON merge patch). Errors the server
// answers are shown next to the field its problem's param names.
import { ApiError, getJSON, patchJSON, resolve } from './api.js';
import {
  bytes, closedOnField, computedLabels, dateTime, el, ledgerFields, needsReason, show, stateField,
} from './format.js';
import { apiKey } from './key.js';

export const parcelPath = (layerID, code) => `/api/layers/${encodeURIComponent(layerID)}/parcels/${encodeURIComponent(code)}`;

// loadLedger fetches a parcel by its code with its history and evidence.
export async function loadLedger(layerID, code, { signal } = {}) {
  const base = parcelPath(layerID, code);
  const [parcel, history, evidence] = await Promise.all([
    getJSON(base, { signal }),
    getJSON(`${base}/history`, { signal }),
    getJSON(`${base}/evidence`, { signal }),
  ]);
  return { parcel, changes: history.changes || [], evidence: evidence.evidence || [] };
}

// fieldLabel names a field: the ledger's words first, then the layer's alias, then the name.
function fieldLabel(layer, name) {
  const ledger = [...ledgerFields, stateField, closedOnField].find((f) => f.name === name);
  if (ledger) return ledger.label;
  const f = layer?.fields?.find((x) => x.name === name);
  if (f?.alias) return f.alias;
  return computedLabels(layer)[name] || name;
}

const stateClass = { 未启动: 'not-started', 处置中: 'in-progress', 待核验: 'awaiting-check', 已销号: 'closed-off' };

function stateBadge(state) {
  return el('span', { class: `state-badge state-${stateClass[state] || 'other'}`, 'data-state': state, text: state });
}

const row = (label, value, attrs = {}) => el('tr', attrs, el('th', { scope: 'row', text: label }), el('td', {}, value));

// ledgerSection renders the ledger of a loaded parcel; onSaved(parcel) is called after a save.
export function ledgerSection(layer, data, { onSaved, onNeedKey, onResize = () => {} }) {
  const { parcel } = data;
  const props = parcel.properties || {};
  const box = el('section', { class: 'ledger', 'aria-label': '一宗一策台账', 'data-code': parcel.code, 'data-state': parcel.state });
  const view = el('div', { class: 'ledger-view' },
    el('h4', {}, '一宗一策台账 ', stateBadge(parcel.state), parcel.archived ? el('span', { class: 'archived', text: '（已归档，只读）' }) : null),
    el('table', { class: 'ledger-table' }, el('tbody', {},
      ledgerFields.map((f) => row(f.label, el('span', { class: f.type === 'multiline' ? 'multiline' : null, text: show(props[f.name]) }), { 'data-key': f.name })),
      row(closedOnField.label, show(props[closedOnField.name]), { 'data-key': closedOnField.name }))));
  box.append(view);

  if (!parcel.archived) {
    if (apiKey()) {
      const edit = el('button', { type: 'button', class: 'edit-ledger', text: '编辑台账' });
      edit.addEventListener('click', () => {
        const form = ledgerForm(layer, parcel, {
          onSaved,
          onResize,
          onCancel: () => {
            form.replaceWith(view);
            edit.hidden = false;
            onResize();
            edit.focus();
          },
        });
        view.replaceWith(form);
        edit.hidden = true;
        onResize();
        form.querySelector('input, textarea, button')?.focus({ preventScroll: true });
      });
      box.append(el('div', { class: 'actions' }, edit));
    } else {
      box.append(el('p', { class: 'hint' }, '编辑台账需要写入密钥：',
        el('button', { type: 'button', class: 'link', text: '填写密钥', onclick: onNeedKey }), '。'));
    }
  }
  box.append(historyList(layer, data.changes), evidenceList(data.evidence));
  return box;
}

function historyList(layer, changes) {
  const items = [...changes].reverse().map((c) => el('li', { 'data-seq': String(c.seq) },
    el('time', { datetime: c.time, text: dateTime(c.time) }), ' ',
    el('span', { class: 'actor', text: c.actor || '（未知）' }), '：',
    el('strong', { text: fieldLabel(layer, c.key) }), el('small', { text: ` ${c.key}` }), ' ',
    el('span', { class: 'before', text: show(c.before) }), ' → ', el('span', { class: 'after', text: show(c.after) }),
    c.reason ? el('span', { class: 'reason', text: `（原因：${c.reason}）` }) : null));
  return el('details', { class: 'ledger-history' },
    el('summary', { text: `变更记录（${changes.length}）` }),
    items.length ? el('ol', { reversed: true }, items) : el('p', { class: 'empty', text: '暂无变更。' }));
}

function evidenceList(evidence) {
  const items = evidence.map((e) => el('li', {},
    el('a', { href: resolve(e.href), download: e.name, text: e.name }),
    el('small', { text: ` ${bytes(e.size)} · ${dateTime(e.time)} · ${e.actor || ''}` })));
  return el('details', { class: 'ledger-evidence' },
    el('summary', { text: `佐证材料（${evidence.length}）` }),
    items.length ? el('ul', {}, items) : el('p', { class: 'empty', text: '暂无佐证材料。' }));
}

let formSeq = 0;

// ledgerForm is the edit form of a parcel's ledger.
function ledgerForm(layer, parcel, { onSaved, onCancel, onResize }) {
  const props = parcel.properties || {};
  const n = ++formSeq;
  const id = (name) => `ledger-${n}-${name}`;
  const errors = new Map(); // param → [control, message element]
  const errorSlot = (name) => el('p', { class: 'field-error', id: id(`${name}-error`), role: 'alert', hidden: true });

  const inputs = ledgerFields.map((f) => {
    const attrs = { id: id(f.name), name: f.name, 'aria-describedby': id(`${f.name}-error`), autocomplete: 'off' };
    const value = props[f.name] === null || props[f.name] === undefined ? '' : String(props[f.name]);
    const input = f.type === 'multiline' ? el('textarea', { ...attrs, rows: '3' }) : el('input', { ...attrs, type: f.type === 'date' ? 'date' : 'text' });
    input.value = value;
    const slot = errorSlot(f.name);
    errors.set(f.name, [input, slot]);
    return { f, input, original: value, node: el('div', { class: 'field' }, el('label', { for: id(f.name), text: `${f.label}（${f.name}）` }), input, slot) };
  });

  // The state: buttons for the next states only; pressing one selects it (pressing again unselects).
  let target = '';
  const stateSlot = errorSlot(stateField.name);
  const stateButtons = (parcel.next_states || []).map((s) => el('button', {
    type: 'button', class: 'state-move', 'data-state': s, 'aria-pressed': 'false', text: `转为“${s}”`,
  }));
  const reason = el('input', { id: id('reason'), name: 'reason', type: 'text', autocomplete: 'off', 'aria-describedby': id('reason-error') });
  const reasonLabel = el('label', { for: id('reason') });
  const reasonSlot = errorSlot('reason');
  errors.set('reason', [reason, reasonSlot]);
  const reasonField = el('div', { class: 'field reason-field', hidden: true }, reasonLabel, reason, reasonSlot);
  const syncState = () => {
    for (const b of stateButtons) b.setAttribute('aria-pressed', String(b.dataset.state === target));
    const required = needsReason(parcel.state, target);
    reasonField.hidden = !target;
    reasonLabel.textContent = required
      ? `${parcel.state === '已销号' ? '重新打开' : '退回'}原因（必填）`
      : '变更原因（选填）';
    reason.required = required;
    reason.setAttribute('aria-required', String(required));
  };
  for (const b of stateButtons) {
    b.addEventListener('click', () => {
      target = target === b.dataset.state ? '' : b.dataset.state;
      syncState();
      if (target) reason.focus();
    });
  }
  syncState();
  const stateGroup = el('fieldset', { class: 'state-moves', 'aria-describedby': id(`${stateField.name}-error`) },
    el('legend', {}, `${stateField.label}：`, stateBadge(parcel.state)),
    stateButtons.length ? el('div', { class: 'actions' }, stateButtons) : el('p', { class: 'empty', text: '没有可转入的状态。' }),
    stateSlot);
  errors.set(stateField.name, [stateButtons[0] || stateGroup, stateSlot]);

  const general = el('p', { class: 'error', role: 'alert', hidden: true });
  const save = el('button', { type: 'submit', class: 'primary save-ledger', text: '保存' });
  const form = el('form', { class: 'ledger-form', novalidate: true, 'aria-label': `编辑地块 ${parcel.code} 的台账` },
    el('h4', { text: '编辑台账' }),
    inputs.map((i) => i.node),
    stateGroup, reasonField,
    general,
    el('div', { class: 'actions form-actions' }, save, el('button', { type: 'button', text: '取消', onclick: onCancel })));

  const clearErrors = () => {
    general.hidden = true;
    for (const [control, slot] of errors.values()) {
      slot.hidden = true;
      slot.textContent = '';
      control.removeAttribute('aria-invalid');
    }
  };
  const showError = (param, text) => {
    const hit = errors.get(param);
    if (!hit) {
      general.textContent = text;
      general.hidden = false;
      return;
    }
    const [control, slot] = hit;
    slot.textContent = text;
    slot.hidden = false;
    if (control.tagName !== 'FIELDSET') control.setAttribute('aria-invalid', 'true');
    control.focus();
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors();
    const patch = {};
    for (const { f, input, original } of inputs) {
      const v = f.type === 'multiline' ? input.value.replace(/\s+$/, '') : input.value.trim();
      if (v !== original) patch[f.name] = v === '' ? null : v;
    }
    if (target) patch[stateField.name] = target;
    const why = reason.value.trim();
    if (target && needsReason(parcel.state, target) && !why) {
      showError('reason', `从“${parcel.state}”转为“${target}”须填写原因。`);
      onResize();
      return;
    }
    if (!Object.keys(patch).length) {
      showError('', '没有修改。');
      return;
    }
    save.disabled = true;
    try {
      const q = why ? `?reason=${encodeURIComponent(why)}` : '';
      const saved = await patchJSON(`${parcelPath(parcel.layer || layer.id, parcel.code)}${q}`, patch, apiKey());
      await onSaved(saved);
    } catch (err) {
      showError(err instanceof ApiError ? err.param : '', ledgerMessage(err, layer, parcel, target));
      onResize();
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

// ledgerMessage is the Chinese sentence for an error of a ledger edit. The server's detail (in
// English) is kept only where no Chinese sentence says more.
function ledgerMessage(err, layer, parcel, target) {
  if (!(err instanceof ApiError)) return `保存失败：${err?.message || err}`;
  const field = err.param ? `${fieldLabel(layer, err.param)}：` : '';
  const next = (parcel.next_states || []).join('、') || '无';
  switch (err.status) {
    case 400:
      if (err.param === 'reason') return `须填写原因：从“${parcel.state}”转为“${target}”要说明理由。`;
      if (ledgerFields.some((f) => f.name === err.param && f.type === 'date')) return `${field}日期无效，请按“年-月-日”填写。`;
      return `${field}取值无效（${err.message}）`;
    case 401: return '需要写入密钥：请先填写密钥。';
    case 403:
      if (err.param === stateField.name && target === '已销号') return `${field}销号须使用核验员（reviewer）密钥，且核验员不能是提交核验的人。`;
      if (err.param) return `${field}当前密钥无权进行此项修改。`;
      return '写入密钥无效或无权修改台账：请检查密钥。';
    case 404: return '未找到该地块：它可能已被删除，请刷新。';
    case 409:
      if (err.param === stateField.name) return `${field}不允许从“${parcel.state}”转为“${target}”；可转为：${next}。`;
      return `冲突：该地块已归档或已被他人修改，请关闭后重新打开。`;
    default: return `保存失败（服务器错误 ${err.status}），请稍后重试。`;
  }
}
