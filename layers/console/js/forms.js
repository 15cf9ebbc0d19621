// Form builders the settings sections and the order-action dialogs share: a labelled field, a checkbox
// with its label, a select from [value, label] pairs, the box an error is told in.
import { h } from './dom.js';

export function field(id, label, control, hint = null) {
  const hintEl = hint ? h('span', { class: 'muted hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', `${id}-hint`);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

export function checkbox(id, label, checked) {
  const input = h('input', { type: 'checkbox', id, checked });
  return { input, el: h('div', { class: 'field inline' }, input, h('label', { for: id }, label)) };
}

export function select(id, options, value, attrs = {}) {
  const el = h('select', { id, ...attrs }, options.map(([v, label]) => h('option', { value: v }, label)));
  el.value = value ?? '';
  return el;
}

export function errorBox(id) {
  return h('p', { class: 'form-error', role: 'alert', id });
}
