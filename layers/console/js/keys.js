// Keyboard shortcuts. Screens register what their keys do (`bind`); a key typed into a field is the
// field's, except Escape. `?` lists whatever is bound right now.
import { h, focus } from './dom.js';
import { t, addStrings } from './i18n.js';

addStrings({
  en: { 'keys.title': 'Keyboard shortcuts', 'keys.close': 'Close' },
  ko: { 'keys.title': '키보드 단축키', 'keys.close': '닫기' },
});

const global = new Map(); // key -> {label, run}
let scoped = new Map(); // the current screen's keys
let installed = false;

/** bind('j', () => t('keys.next'), fn): label is a function so it follows the language. */
export function bind(key, label, run) { scoped.set(key, { label, run }); }
export function bindGlobal(key, label, run) { global.set(key, { label, run }); }
export function clearScope() { scoped = new Map(); }
export function reset() { scoped = new Map(); global.clear(); }

function typing(target) {
  return target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

export function install() {
  bindGlobal('?', () => t('keys.title'), showHelp);
  if (installed) return;
  installed = true;
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === 'Escape') {
      const dialog = document.querySelector('dialog[open]');
      if (dialog) return; // the dialog closes itself
      if (typing(event.target)) { event.target.blur(); return; }
    }
    if (typing(event.target) || document.querySelector('dialog[open]')) return;
    const entry = scoped.get(event.key) || global.get(event.key);
    if (!entry) return;
    event.preventDefault();
    entry.run(event);
  });
}

export function showHelp() {
  const rows = [...scoped.entries(), ...global.entries()].map(([key, { label }]) =>
    h('tr', {}, h('th', { scope: 'row' }, h('kbd', {}, key === 'Enter' ? '↵ Enter' : key)), h('td', {}, label())));
  const close = h('button', { type: 'button', class: 'primary', onclick: () => dialog.close() }, t('keys.close'));
  const dialog = h('dialog', { class: 'dialog', id: 'shortcuts', 'aria-labelledby': 'shortcuts-title' },
    h('h2', { id: 'shortcuts-title' }, t('keys.title')),
    h('table', { class: 'keys' }, h('tbody', {}, rows)), h('div', { class: 'actions' }, close));
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  focus(close);
}
