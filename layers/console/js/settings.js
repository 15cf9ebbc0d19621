// Settings (#/settings/<section>): the account's settings, channels, office hours, macros, teams and
// routing rules, skills, agents and plan. Owners and admins change them; every other role reads the
// same pages with their controls disabled, and a note says why. A save sends only what changed.
// This module is the screen's shell and the form builders its sections share; the sections live in
// settings-account.js (general, channels, office hours, plan), settings-workspace.js (macros, teams
// and routing, agents) and settings-skills.js, loaded when settings first draws a section.
import { api, ApiError, explain } from './api.js';
import { h, replace, announce, focus } from './dom.js';
import { t, addStrings } from './i18n.js';
import { duration } from './format.js';
import { field, checkbox, select, errorBox } from './forms.js';

addStrings({
  en: {
    'settings.title': 'Settings', 'settings.nav': 'Settings sections', 'settings.loading': 'Loading…',
    'settings.section.general': 'General', 'settings.section.channels': 'Channels',
    'settings.section.office-hours': 'Office hours', 'settings.section.macros': 'Macros',
    'settings.section.teams': 'Teams and routing', 'settings.section.skills': 'Skills',
    'settings.section.agents': 'Agents', 'settings.section.plan': 'Plan',
    'settings.readonly': 'Only an owner or admin changes these settings. You are signed in as {role}, so you can read them but not change them.',
    'settings.save': 'Save changes', 'settings.saved': 'Settings saved.', 'settings.unchanged': 'Nothing changed.',
    'settings.cancel': 'Cancel', 'settings.delete': 'Delete', 'settings.edit': 'Edit', 'settings.add': 'Add',
    'settings.remove': 'Remove', 'settings.confirm': 'Confirm', 'settings.reload': 'Reload',
    'settings.load_failed': 'These settings could not be loaded: {error}',
    'settings.needs_plan': 'This comes with the helpdesk plan; this account is on the {plan} plan.',
    'settings.none': 'None yet.', 'settings.yes': 'Yes', 'settings.no': 'No',
    // shared by the shell and both section modules: plan names (needsPlan), durations (durationField),
    // roles (the read-only note, agents), channels (addresses, routing rules, the skill preview)
    'general.duration_is': 'That is {value}.', 'general.duration_bad': 'Not a duration the helpdesk reads (examples: P3D, PT12H, P1W).',
    'channel.sms': 'SMS', 'channel.whatsapp': 'WhatsApp', 'channel.instagram': 'Instagram', 'channel.email': 'Email', 'channel.webchat': 'Web chat',
    'role.owner': 'Owner', 'role.admin': 'Admin', 'role.manager': 'Manager', 'role.support': 'Support',
    'plan.name.inbox': 'Inbox', 'plan.name.helpdesk': 'Helpdesk',
  },
  ko: {
    'settings.title': '설정', 'settings.nav': '설정 항목', 'settings.loading': '불러오는 중…',
    'settings.section.general': '일반', 'settings.section.channels': '채널',
    'settings.section.office-hours': '운영 시간', 'settings.section.macros': '매크로',
    'settings.section.teams': '팀과 라우팅', 'settings.section.skills': '스킬',
    'settings.section.agents': '상담원', 'settings.section.plan': '요금제',
    'settings.readonly': '이 설정은 소유자나 관리자만 바꿀 수 있습니다. {role} 역할로 로그인했으므로 읽을 수만 있습니다.',
    'settings.save': '변경 사항 저장', 'settings.saved': '설정을 저장했습니다.', 'settings.unchanged': '바뀐 것이 없습니다.',
    'settings.cancel': '취소', 'settings.delete': '삭제', 'settings.edit': '편집', 'settings.add': '추가',
    'settings.remove': '제거', 'settings.confirm': '확인', 'settings.reload': '다시 불러오기',
    'settings.load_failed': '설정을 불러오지 못했습니다: {error}',
    'settings.needs_plan': '헬프데스크 요금제에 포함된 기능입니다. 이 계정은 {plan} 요금제입니다.',
    'settings.none': '아직 없습니다.', 'settings.yes': '예', 'settings.no': '아니요',
    'general.duration_is': '{value}입니다.', 'general.duration_bad': '헬프데스크가 읽을 수 없는 기간입니다 (예: P3D, PT12H, P1W).',
    'channel.sms': 'SMS', 'channel.whatsapp': 'WhatsApp', 'channel.instagram': 'Instagram', 'channel.email': '이메일', 'channel.webchat': '웹 채팅',
    'role.owner': '소유자', 'role.admin': '관리자', 'role.manager': '매니저', 'role.support': '상담원',
    'plan.name.inbox': '인박스', 'plan.name.helpdesk': '헬프데스크',
  },
});

const SECTIONS = ['general', 'channels', 'office-hours', 'macros', 'teams', 'skills', 'agents', 'plan'];
const ISO_DURATION = /^P(?:(\d{1,4})W)?(?:(\d{1,5})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,7})M)?(?:(\d{1,9})S)?)?$/;

// The sections, from both modules, fetched once; a failed fetch is tried again on the next draw.
let screens = null;
function loadScreens() {
  screens ||= Promise.all([import('./settings-account.js'), import('./settings-workspace.js'), import('./settings-skills.js')])
    .then((modules) => Object.assign({}, ...modules.map((m) => m.SCREENS)))
    .catch((error) => { screens = null; throw error; });
  return screens;
}

export async function mount(root, ctx, hash) {
  let host = root;
  let alive = true;
  let generation = 0;

  async function render(newHash) {
    // The language switch rebuilds the shell (a new <main>): draw into whichever is on the page.
    if (!host.isConnected) host = document.getElementById('main') || host;
    const section = sectionOf(newHash);
    const mine = ++generation;
    const nav = h('nav', { class: 'settings-nav', 'aria-label': t('settings.nav') },
      h('ul', { role: 'list', class: 'plain-list' }, SECTIONS.map((id) => h('li', {}, h('a', {
        href: `#/settings/${id}`, id: `settings-nav-${id}`, 'aria-current': id === section ? 'page' : null,
      }, t(`settings.section.${id}`))))));
    const page = h('div', { class: 'page settings-page', id: 'settings-page', 'aria-busy': 'true' },
      h('h1', { id: 'settings-title' }, t(`settings.section.${section}`)),
      h('p', { class: 'muted' }, t('settings.loading')));
    replace(host, h('div', { class: 'settings-layout' }, nav, page));
    let body;
    try {
      body = await (await loadScreens())[section](ctx, () => mine === generation && alive);
    } catch (error) {
      body = [h('p', { class: 'form-error', role: 'alert', id: 'settings-load-error' },
        error instanceof ApiError && error.status === 403 ? error.message : t('settings.load_failed', { error: error.message }))];
    }
    if (mine !== generation || !alive) return;
    page.removeAttribute('aria-busy');
    const note = ctx.canAdmin() ? null
      : h('p', { class: 'readonly-note', id: 'settings-readonly' }, t('settings.readonly', { role: t(`role.${ctx.me?.role}`) }));
    replace(page, h('h1', { id: 'settings-title' }, t(`settings.section.${section}`)), note, body);
    if (!ctx.canAdmin()) readOnly(page);
  }

  await render(hash);
  return {
    unmount() { alive = false; },
    update(newHash) { render(newHash); },
  };
}

function sectionOf(hash) {
  const name = (hash || '').split('/')[2] || 'general';
  return SECTIONS.includes(name) ? name : 'general';
}

/** Every control of the page disabled: what a role that may not change settings sees. */
export function readOnly(page) {
  page.querySelectorAll('input, select, textarea, button').forEach((el) => { el.disabled = true; });
  page.querySelectorAll('form').forEach((form) => form.setAttribute('aria-disabled', 'true'));
}

// --- small builders ----------------------------------------------------------------------------------

export { field, checkbox, select, errorBox }; // (forms.js: the order-action dialogs use them too)

export function needsPlan(settings, feature) {
  if (!settings || (settings.features || []).includes(feature)) return null;
  return h('p', { class: 'readonly-note plan-note' }, t('settings.needs_plan', { plan: t(`plan.name.${settings.plan}`) }));
}

/** Runs a write: the button waits, the API's refusal is shown beside the form, success is announced. */
export async function attempt(button, errorEl, work, success) {
  errorEl.textContent = '';
  button.disabled = true;
  try {
    const result = await work();
    if (success) announce(typeof success === 'function' ? success(result) : success);
    return result;
  } catch (error) {
    errorEl.textContent = explain(error);
    return undefined;
  } finally {
    if (button.isConnected) button.disabled = false;
  }
}

/** A modal question with Confirm and Cancel; resolves true when confirmed. */
export function confirmDialog(text, okLabel = t('settings.confirm')) {
  return new Promise((resolve) => {
    const ok = h('button', { type: 'button', class: 'primary', id: 'confirm-ok', onclick: () => { dialog.returnValue = 'ok'; dialog.close(); } }, okLabel);
    const cancel = h('button', { type: 'button', id: 'confirm-cancel', onclick: () => dialog.close() }, t('settings.cancel'));
    const dialog = h('dialog', { class: 'dialog', id: 'confirm', 'aria-labelledby': 'confirm-text' },
      h('p', { id: 'confirm-text' }, text), h('div', { class: 'actions' }, cancel, ok));
    dialog.addEventListener('close', () => { resolve(dialog.returnValue === 'ok'); dialog.remove(); });
    document.body.append(dialog);
    dialog.showModal();
    focus(cancel);
  });
}

/** What differs between `before` and `after` (only the keys `after` names): nested objects compared
 *  key by key, so a PATCH carries only what the agent changed; lists and `whole` keys go as they are. */
export function changes(before, after, whole = ['office_hours']) {
  const out = {};
  for (const [key, value] of Object.entries(after)) {
    const old = before ? before[key] : undefined;
    if (value && typeof value === 'object' && !Array.isArray(value) && !whole.includes(key) && old && typeof old === 'object') {
      const inner = changes(old, value, []);
      if (Object.keys(inner).length) out[key] = inner;
    } else if (JSON.stringify(value) !== JSON.stringify(old ?? null)) {
      out[key] = value;
    }
  }
  return out;
}

function isoSeconds(value) {
  const m = ISO_DURATION.exec(value || '');
  if (!m || value === 'P' || value.endsWith('T')) return null;
  const [w, d, hh, mm, ss] = m.slice(1).map((x) => Number(x || 0));
  const total = (((w * 7 + d) * 24 + hh) * 60 + mm) * 60 + ss;
  return total > 0 ? total : null;
}

/** A duration input with a live reading of what it means ("3 days"). */
export function durationField(id, label, value) {
  const input = h('input', { type: 'text', id, value: value || '', spellcheck: 'false', autocomplete: 'off', size: 12 });
  const reading = h('span', { class: 'muted hint', id: `${id}-reading`, 'aria-live': 'polite' });
  const show = () => {
    const seconds = isoSeconds(input.value.trim());
    reading.textContent = seconds ? t('general.duration_is', { value: duration(seconds, 'long') }) : t('general.duration_bad');
  };
  input.addEventListener('input', show);
  input.setAttribute('aria-describedby', `${id}-reading`);
  show();
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, reading);
}

/** A settings form: its controls, an error line and `#settings-save`; `collect()` gives the wanted
 *  settings (in GET /api/settings' shape), of which only the changes are sent. */
export function settingsForm(state, children, collect) {
  const error = errorBox('settings-error');
  const save = h('button', { type: 'submit', class: 'primary', id: 'settings-save' }, t('settings.save'));
  const form = h('form', { class: 'settings-form', id: 'settings-form', novalidate: true }, children,
    error, h('div', { class: 'form-actions' }, save));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    let change;
    try { change = changes(state.settings, collect()); } catch (problem) { error.textContent = problem.message; return; }
    if (!Object.keys(change).length) { error.textContent = ''; announce(t('settings.unchanged')); return; }
    const saved = await attempt(save, error, () => api('/api/settings', { method: 'PATCH', body: change }), t('settings.saved'));
    if (saved) state.settings = saved;
  });
  return form;
}
