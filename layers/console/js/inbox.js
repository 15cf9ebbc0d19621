// The inbox: a view's tickets (newest activity first) that page in as you scroll and refresh themselves
// without losing the place, a status filter, bulk selection and actions, and the open ticket beside
// the list (ticket.js). Route: #/inbox/<view>[/t/<ticket id>].
import { api } from './api.js';
import { h, replace, announce } from './dom.js';
import { t, addStrings, when } from './i18n.js';
import * as keys from './keys.js';
import { pickAgent, pickTags } from './pickers.js';

addStrings({
  en: {
    'inbox.list': 'Tickets', 'inbox.status': 'Status', 'inbox.status.any': 'Any status', 'status.open': 'Open',
    'status.snoozed': 'Snoozed', 'status.closed': 'Closed', 'inbox.select_all': 'Select all shown',
    'inbox.selected': '{n} selected', 'bulk.close': 'Close', 'bulk.reopen': 'Reopen', 'bulk.assign': 'Assign…', 'bulk.tag': 'Tag…',
    'bulk.spam': 'Spam', 'bulk.not_spam': 'Not spam', 'bulk.done': '{ok} of {n} tickets changed', 'bulk.failed': '{id}: {error}',
    'inbox.empty': 'No tickets here.', 'inbox.end': 'That is all.', 'inbox.loading': 'Loading…',
    'inbox.unassigned': 'Unassigned', 'inbox.select': 'Select {name}', 'inbox.refresh': 'Refresh',
    'inbox.pick': 'Select a ticket to read it.',
    'keys.next': 'Next ticket', 'keys.prev': 'Previous ticket', 'keys.open': 'Open the ticket',
    'keys.select': 'Select the ticket (bulk)', 'keys.back': 'Back to the list',
    'channel.sms': 'SMS', 'channel.whatsapp': 'WhatsApp', 'channel.instagram': 'Instagram', 'channel.email': 'Email', 'channel.webchat': 'Web chat',
  },
  ko: {
    'inbox.list': '티켓', 'inbox.status': '상태', 'inbox.status.any': '모든 상태', 'status.open': '열림',
    'status.snoozed': '보류', 'status.closed': '닫힘', 'inbox.select_all': '보이는 티켓 모두 선택',
    'inbox.selected': '{n}개 선택됨', 'bulk.close': '닫기', 'bulk.reopen': '다시 열기', 'bulk.assign': '배정…', 'bulk.tag': '태그…',
    'bulk.spam': '스팸', 'bulk.not_spam': '스팸 아님', 'bulk.done': '티켓 {n}개 중 {ok}개 변경됨', 'bulk.failed': '{id}: {error}',
    'inbox.empty': '티켓이 없습니다.', 'inbox.end': '모두 보았습니다.', 'inbox.loading': '불러오는 중…',
    'inbox.unassigned': '미배정', 'inbox.select': '{name} 선택', 'inbox.refresh': '새로 고침',
    'inbox.pick': '티켓을 선택하면 내용이 보입니다.',
    'keys.next': '다음 티켓', 'keys.prev': '이전 티켓', 'keys.open': '티켓 열기',
    'keys.select': '티켓 선택 (일괄)', 'keys.back': '목록으로',
    'channel.sms': 'SMS', 'channel.whatsapp': 'WhatsApp', 'channel.instagram': 'Instagram', 'channel.email': '이메일', 'channel.webchat': '웹 채팅',
  },
});

const PAGE = 50;
const POLL_MS = 10000;

function parse(hash) {
  const m = hash.match(/^#\/inbox\/([^/?]+)(?:\/t\/([^/?]+))?/) || [];
  return { view: decodeURIComponent(m[1] || 'mine'), ticketId: m[2] ? decodeURIComponent(m[2]) : null };
}

export function ticketName(x) {
  return x.contact_name || x.profile?.name || x.contact || '';
}

export async function mount(root, ctx, hash) {
  let route = parse(hash);
  let status = sessionStorage.getItem('helpdesk.status') ?? 'open';
  let items = [];
  let next = null;
  let loading = false;
  let cursorId = null;
  const selected = new Set();
  let ticketScreen = null;
  let pollTimer = null;
  let generation = 0; // a view or filter change makes older answers stale

  const statusSelect = h('select', { id: 'status-filter', 'aria-label': t('inbox.status') },
    h('option', { value: '' }, t('inbox.status.any')),
    ['open', 'snoozed', 'closed'].map((s) => h('option', { value: s, selected: s === status }, t(`status.${s}`))));
  statusSelect.value = status;
  statusSelect.addEventListener('change', () => { status = statusSelect.value; sessionStorage.setItem('helpdesk.status', status); reload(); });
  const selectAll = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': t('inbox.select_all') });
  selectAll.addEventListener('change', () => {
    if (selectAll.checked) items.forEach((x) => selected.add(x.id)); else selected.clear();
    renderRows(); renderBulk();
  });
  const title = h('h1', { id: 'inbox-title' });
  const list = h('ul', { id: 'ticket-list', class: 'ticket-list', role: 'listbox', tabindex: '0', 'aria-multiselectable': 'true', 'aria-labelledby': 'inbox-title' });
  const end = h('li', { class: 'list-end', role: 'presentation' });
  const bulkbar = h('div', { id: 'bulkbar', class: 'bulkbar', role: 'toolbar', 'aria-label': t('inbox.selected', { n: 0 }), hidden: true });
  const listPane = h('section', { class: 'list-pane', 'aria-label': t('inbox.list') },
    h('div', { class: 'list-tools' }, selectAll, title, statusSelect,
      h('button', { type: 'button', class: 'link', id: 'inbox-refresh', onclick: () => poll() }, t('inbox.refresh'))),
    bulkbar, list);
  const ticketPane = h('section', { class: 'ticket-pane', id: 'ticket-pane', 'aria-label': t('inbox.pick') });
  const layout = h('div', { class: 'inbox' }, listPane, ticketPane);
  replace(root, layout);

  const viewName = () => {
    const saved = ctx.views.find((v) => v.id === route.view);
    return saved ? saved.name : t(`views.${route.view}`);
  };

  function row(x) {
    const active = x.id === route.ticketId;
    const check = h('input', { type: 'checkbox', class: 'row-check', checked: selected.has(x.id), tabindex: '-1', 'aria-label': t('inbox.select', { name: ticketName(x) }) });
    check.addEventListener('click', (event) => { event.stopPropagation(); toggle(x.id); });
    const li = h('li', {
      class: `ticket-row${x.unread ? ' unread' : ''}${x.id === cursorId ? ' cursor' : ''}`, role: 'option', id: `row-${x.id}`,
      'data-id': x.id, 'aria-selected': String(selected.has(x.id) || active), 'aria-current': active ? 'true' : null,
    },
    check,
    h('span', { class: 'row-name' }, ticketName(x)),
    h('span', { class: 'row-time' }, h('time', { datetime: x.updated_at }, when(x.updated_at))),
    h('span', { class: 'row-line' }, x.subject || x.preview || ''),
    h('span', { class: 'row-meta' },
      h('span', { class: 'chip channel' }, t(`channel.${x.channel}`)),
      h('span', { class: `status status-${x.status}` }, t(`status.${x.status}`)),
      h('span', { class: 'assignee' }, x.assignee_id ? ctx.agentName(x.assignee_id) : t('inbox.unassigned')),
      (x.tags || []).map((tag) => h('span', { class: 'chip tag' }, tag))));
    li.addEventListener('click', () => { cursorId = x.id; open(x.id); });
    return li;
  }

  function renderRows() {
    const scroll = list.scrollTop;
    replace(list, items.map(row), end);
    end.textContent = loading ? t('inbox.loading') : items.length === 0 ? t('inbox.empty') : next ? '' : t('inbox.end');
    list.scrollTop = scroll;
    if (cursorId) list.setAttribute('aria-activedescendant', `row-${cursorId}`); else list.removeAttribute('aria-activedescendant');
    selectAll.checked = items.length > 0 && items.every((x) => selected.has(x.id));
  }

  function renderBulk() {
    for (const id of [...selected]) if (!items.some((x) => x.id === id)) selected.delete(id);
    bulkbar.hidden = selected.size === 0;
    const spamView = route.view === 'spam';
    replace(bulkbar,
      h('span', { 'aria-live': 'polite' }, t('inbox.selected', { n: selected.size })),
      h('button', { type: 'button', id: 'bulk-close', onclick: () => bulk({ status: 'closed' }) }, t('bulk.close')),
      h('button', { type: 'button', id: 'bulk-reopen', onclick: () => bulk({ status: 'open' }) }, t('bulk.reopen')),
      h('button', { type: 'button', id: 'bulk-assign', onclick: async () => {
        const agent = await pickAgent(ctx, null);
        if (agent !== undefined) bulk({ assignee_id: agent });
      } }, t('bulk.assign')),
      h('button', { type: 'button', id: 'bulk-tag', onclick: async () => {
        const tags = await pickTags([], t('bulk.tag'));
        if (tags && tags.length) bulk({ add_tags: tags });
      } }, t('bulk.tag')),
      h('button', { type: 'button', id: 'bulk-spam', onclick: () => bulk({ spam: !spamView }) }, spamView ? t('bulk.not_spam') : t('bulk.spam')));
  }

  async function bulk(changes) {
    const ids = [...selected];
    const answer = await api('/api/tickets/bulk', { method: 'POST', body: { ids, changes } });
    const failed = answer.results.filter((r) => r.status >= 300);
    announce(t('bulk.done', { ok: ids.length - failed.length, n: ids.length }), failed.length ? 'error' : 'info');
    failed.slice(0, 3).forEach((r) => announce(t('bulk.failed', { id: r.id, error: r.error }), 'error'));
    selected.clear();
    await poll();
    renderBulk();
    ctx.refreshBadges();
  }

  function toggle(id) {
    if (selected.has(id)) selected.delete(id); else selected.add(id);
    renderRows(); renderBulk();
  }

  async function load(first) {
    if (loading || (!first && !next)) return;
    loading = true;
    const mine = generation;
    renderRows();
    try {
      const page = await api('/api/tickets', { query: { view: route.view, status, limit: PAGE, next: first ? null : next } });
      if (mine !== generation) return;
      items = first ? page.items : items.concat(page.items.filter((x) => !items.some((y) => y.id === x.id)));
      next = page.next;
    } finally {
      if (mine === generation) { loading = false; renderRows(); }
    }
    if (list.scrollHeight <= list.clientHeight && next) load(false); // fill a tall screen
  }

  /** Refresh in place: the first page again, merged with what was paged in below it. The list keeps
   *  its scroll position, cursor and selection. */
  async function poll() {
    if (loading) return;
    const mine = generation;
    const page = await api('/api/tickets', { query: { view: route.view, status, limit: Math.min(100, Math.max(PAGE, items.length)) } }).catch(() => null);
    if (!page || mine !== generation || loading) return;
    const fresh = page.items;
    const oldest = fresh.length ? fresh[fresh.length - 1].updated_at : null;
    const kept = page.next && oldest ? items.filter((x) => !fresh.some((y) => y.id === x.id) && x.updated_at < oldest) : [];
    items = fresh.concat(kept);
    if (!kept.length) next = page.next;
    renderRows(); renderBulk();
  }

  function reload() {
    generation += 1;
    items = []; next = null; loading = false; selected.clear();
    title.textContent = viewName();
    document.title = `${viewName()} · ${t('app.name')}`;
    renderBulk();
    load(true);
  }

  function open(id) {
    ctx.navigate(`#/inbox/${encodeURIComponent(route.view)}/t/${encodeURIComponent(id)}`);
  }

  async function showTicket() {
    layout.classList.toggle('no-ticket', !route.ticketId);
    if (ticketScreen?.id === route.ticketId) return;
    ticketScreen?.unmount?.();
    ticketScreen = null;
    if (!route.ticketId) { replace(ticketPane); return; }
    const module = await import('./ticket.js');
    ticketScreen = { id: route.ticketId, ...(await module.mount(ticketPane, ctx, route.ticketId, {
      changed: (ticket) => {
        const i = items.findIndex((x) => x.id === ticket.id);
        if (i >= 0) { items[i] = { ...items[i], ...ticket, unread: false }; renderRows(); }
        ctx.refreshBadges();
      },
      close: () => ctx.navigate(`#/inbox/${encodeURIComponent(route.view)}`),
      advance: () => move(1, true),
    })) };
    items.forEach((x) => { if (x.id === route.ticketId) x.unread = false; });
    renderRows();
  }

  function move(step, openIt = false) {
    if (!items.length) return;
    const at = items.findIndex((x) => x.id === (cursorId || route.ticketId));
    const to = Math.max(0, Math.min(items.length - 1, at < 0 ? 0 : at + step));
    cursorId = items[to].id;
    renderRows();
    document.getElementById(`row-${cursorId}`)?.scrollIntoView({ block: 'nearest' });
    if (to >= items.length - 5) load(false);
    if (openIt || route.ticketId) open(cursorId);
  }

  list.addEventListener('scroll', () => { if (list.scrollTop + list.clientHeight >= list.scrollHeight - 200) load(false); });
  list.addEventListener('keydown', (event) => {
    if (event.key === ' ' && cursorId) { event.preventDefault(); toggle(cursorId); }
  });

  function bindKeys() {
    keys.clearScope();
    keys.bind('j', () => t('keys.next'), () => move(1));
    keys.bind('k', () => t('keys.prev'), () => move(-1));
    keys.bind('Enter', () => t('keys.open'), () => { if (cursorId) open(cursorId); });
    keys.bind('x', () => t('keys.select'), () => { if (cursorId) toggle(cursorId); });
    keys.bind('Escape', () => t('keys.back'), () => { if (route.ticketId) ctx.navigate(`#/inbox/${encodeURIComponent(route.view)}`); });
    ticketScreen?.bindKeys?.();
  }

  reload();
  await showTicket();
  bindKeys();
  pollTimer = setInterval(() => { if (!document.hidden) poll(); }, POLL_MS);

  return {
    async update(newHash) {
      const old = route;
      route = parse(newHash);
      if (route.view !== old.view) { cursorId = null; reload(); }
      if (route.ticketId) cursorId = route.ticketId;
      renderRows();
      await showTicket();
      bindKeys();
    },
    unmount() { clearInterval(pollTimer); ticketScreen?.unmount?.(); },
  };
}
