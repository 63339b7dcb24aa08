// The API key of this browser tab: entered in a small dialog, kept in sessionStorage (never in a
// URL), sent as "Authorization: Bearer …" by the forms that write (ledger edits, saving an
// analysis). Listeners hear when it changes.
import { el } from './format.js';

export const KEY_STORAGE = 'mudi.apiKey';
const listeners = new Set();

export function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE) || '';
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
  for (const fn of listeners) fn(key);
}

export function onKeyChange(fn) {
  listeners.add(fn);
}

const $ = (id) => document.getElementById(id);

// setupKeyDialog wires the top bar's key button to its dialog. The dialog is a native <dialog>:
// focus moves into it, Escape closes it and focus returns to the button.
export function setupKeyDialog() {
  const button = $('key-button');
  const dialog = $('key-dialog');
  const input = $('key-input');
  const sync = () => {
    const set = Boolean(apiKey());
    button.textContent = set ? '已填写密钥' : '填写密钥';
    button.setAttribute('aria-label', set ? '写入密钥已填写：更改或清除' : '填写写入密钥（编辑台账需要）');
    button.classList.toggle('key-set', set);
  };
  button.addEventListener('click', () => {
    input.value = apiKey();
    dialog.showModal();
    input.focus();
  });
  $('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    setApiKey(input.value.trim());
    dialog.close();
  });
  $('key-clear').addEventListener('click', () => {
    input.value = '';
    setApiKey('');
    dialog.close();
  });
  $('key-cancel').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => button.focus());
  onKeyChange(sync);
  sync();
}

// keyHint is the sentence shown where a write needs a key that was not entered.
export function keyHint(open) {
  return el('p', { class: 'hint' }, '编辑台账需要写入密钥：', el('button', { type: 'button', class: 'link', onclick: open, text: '填写密钥' }), '。');
}
