// The small dialogs the inbox and the ticket share: choose an agent, edit tags, choose a snooze time.
// Each resolves with the choice, or undefined when the agent cancels (Escape, Cancel).
import { h, focus } from './dom.js';
import { t, addStrings, locale } from './i18n.js';

addStrings({
  en: {
    'pick.cancel': 'Cancel', 'pick.assign': 'Assign to', 'pick.unassign': 'Nobody (unassigned)', 'pick.me': '{name} (me)',
    'pick.online': 'online', 'pick.offline': 'offline', 'pick.tags': 'Tags', 'pick.tag_input': 'Add a tag (Enter)',
    'pick.save': 'Save', 'pick.remove': 'Remove {tag}', 'pick.snooze': 'Snooze until', 'snooze.later': 'Later today',
    'snooze.tomorrow': 'Tomorrow', 'snooze.next_week': 'Next week', 'snooze.at': 'A chosen time', 'snooze.set': 'Snooze',
    'snooze.past': 'Choose a time in the future.',
  },
  ko: {
    'pick.cancel': '취소', 'pick.assign': '담당자 지정', 'pick.unassign': '없음 (미배정)', 'pick.me': '{name} (나)',
    'pick.online': '온라인', 'pick.offline': '오프라인', 'pick.tags': '태그', 'pick.tag_input': '태그 추가 (Enter)',
    'pick.save': '저장', 'pick.remove': '{tag} 삭제', 'pick.snooze': '보류 기한', 'snooze.later': '오늘 늦게',
    'snooze.tomorrow': '내일', 'snooze.next_week': '다음 주', 'snooze.at': '직접 선택', 'snooze.set': '보류',
    'snooze.past': '미래의 시간을 선택하세요.',
  },
});

function dialog(id, title, body, onOpen) {
  return new Promise((resolve) => {
    let result;
    const cancel = h('button', { type: 'button', onclick: () => el.close() }, t('pick.cancel'));
    const el = h('dialog', { class: 'dialog', id, 'aria-labelledby': `${id}-title` },
      h('h2', { id: `${id}-title` }, title), body((value) => { result = value; el.close(); }), h('div', { class: 'actions' }, cancel));
    el.addEventListener('close', () => { el.remove(); resolve(result); });
    document.body.append(el);
    el.showModal();
    onOpen?.(el);
  });
}

/** An agent's id, null for unassigned, undefined when cancelled. */
export function pickAgent(ctx, current) {
  const people = ctx.agents.filter((a) => a.active !== false && a.role !== 'integration');
  return dialog('assign-dialog', t('pick.assign'), (done) => h('div', { class: 'options' },
    people.map((a) => h('button', { type: 'button', 'data-agent': a.id, 'aria-pressed': String(a.id === current), onclick: () => done(a.id) },
      a.id === ctx.me.id ? t('pick.me', { name: a.name || a.email }) : (a.name || a.email),
      ' · ', a.status === 'online' ? t('pick.online') : t('pick.offline'))),
    h('button', { type: 'button', 'data-agent': '', onclick: () => done(null) }, t('pick.unassign'))),
  (el) => focus(el.querySelector('button[data-agent]')));
}

/** The whole list of tags after the agent's edit, or undefined when cancelled. */
export function pickTags(current, title = t('pick.tags')) {
  const tags = [...current];
  const chips = h('div', { class: 'tag-chips', role: 'list' });
  const input = h('input', { id: 'tag-input', 'aria-label': t('pick.tag_input'), placeholder: t('pick.tag_input'), autocomplete: 'off' });
  const draw = () => {
    chips.replaceChildren(...tags.map((tag) => h('span', { class: 'chip tag', role: 'listitem' }, tag, ' ',
      h('button', { type: 'button', class: 'link', 'aria-label': t('pick.remove', { tag }), onclick: () => { tags.splice(tags.indexOf(tag), 1); draw(); } }, '×'))));
  };
  draw();
  return dialog('tag-dialog', title, (done) => {
    input.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter') return;
      event.preventDefault();
      const tag = input.value.trim().toLowerCase();
      if (tag && !tags.includes(tag)) tags.push(tag);
      input.value = '';
      draw();
    });
    return h('div', { class: 'options' }, chips, input,
      h('button', { type: 'button', class: 'primary', id: 'tag-save', onclick: () => {
        const pending = input.value.trim().toLowerCase();
        if (pending && !tags.includes(pending)) tags.push(pending);
        done(tags);
      } }, t('pick.save')));
  }, () => focus(input));
}

/** The agent's local times for the quick choices. */
export function snoozeChoices(now = new Date()) {
  const at = (days, hour) => { const d = new Date(now); d.setDate(d.getDate() + days); d.setHours(hour, 0, 0, 0); return d; };
  const later = new Date(now.getTime() + 3 * 3600 * 1000);
  const nextMonday = at(((8 - now.getDay()) % 7) || 7, 9);
  return { later, tomorrow: at(1, 9), next_week: nextMonday };
}

/** An ISO time to snooze until, or undefined when cancelled. */
export function pickSnooze() {
  const choices = snoozeChoices();
  const fmt = (d) => d.toLocaleString(locale(), { weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  const custom = h('input', { type: 'datetime-local', id: 'snooze-at', step: '1', 'aria-label': t('snooze.at') });
  const error = h('p', { class: 'form-error', role: 'alert' });
  return dialog('snooze-dialog', t('pick.snooze'), (done) => h('div', { class: 'options' },
    Object.entries(choices).map(([key, d]) => h('button', { type: 'button', 'data-snooze': key, onclick: () => done(d.toISOString()) },
      `${t(`snooze.${key}`)} · ${fmt(d)}`)),
    h('label', { for: 'snooze-at' }, t('snooze.at')), custom, error,
    h('button', { type: 'button', id: 'snooze-custom', class: 'primary', onclick: () => {
      const d = custom.value ? new Date(custom.value) : null;
      if (!d || Number.isNaN(d.getTime()) || d <= new Date()) { error.textContent = t('snooze.past'); return; }
      done(d.toISOString());
    } }, t('snooze.set'))),
  (el) => focus(el.querySelector('button[data-snooze]')));
}
