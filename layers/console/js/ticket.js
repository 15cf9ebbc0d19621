// One ticket beside the inbox: the conversation (inbound, outbound with delivery state, notes, story
// replies with their story, attachments, the order skill's cards), the reply and note box with macros
// and the reply rules' refusal shown before typing, the actions (assign, tag, snooze, close, reopen,
// spam), and the overview panel (fields, customer, predictive fields, orders, recent events).
import { api, ApiError, explain, idempotencyKey } from './api.js';
import { h, replace, announce, focus } from './dom.js';
import { t, addStrings, when } from './i18n.js';
import * as keys from './keys.js';
import { pickAgent, pickTags, pickSnooze } from './pickers.js';
import { renderOverview } from './overview.js';

addStrings({
  en: {
    'ticket.loading': 'Loading the ticket…', 'ticket.gone': 'This ticket cannot be shown: {error}',
    'ticket.close': 'Close', 'ticket.reopen': 'Reopen', 'ticket.snooze': 'Snooze', 'ticket.assign': 'Assign',
    'ticket.tag': 'Tags', 'ticket.spam': 'Spam', 'ticket.not_spam': 'Not spam', 'ticket.back': 'Back to the list',
    'ticket.snoozed_until': 'Snoozed until {time}', 'ticket.actions': 'Ticket actions',
    'ticket.closed': 'Ticket closed', 'ticket.reopened': 'Ticket reopened', 'ticket.assigned': 'Assigned to {name}',
    'ticket.unassigned': 'Unassigned', 'ticket.tagged': 'Tags saved', 'ticket.marked_spam': 'Marked as spam',
    'ticket.marked_not_spam': 'Back in the inbox', 'ticket.snoozed': 'Snoozed until {time}',
    'msg.conversation': 'Conversation', 'msg.older': 'Show older messages', 'msg.note': 'Note', 'msg.you': 'Agent',
    'msg.customer': 'Customer', 'msg.automatic': 'Automatic', 'msg.story': 'Replied to a story', 'msg.story_open': 'Open the story',
    'msg.attachment': 'Attachment', 'msg.deleted': 'The customer deleted this message.',
    'delivery.queued': 'Queued', 'delivery.sent': 'Sent', 'delivery.delivered': 'Delivered', 'delivery.failed': 'Failed',
    'delivery.read': 'Read', 'card.order': 'Order {name}', 'card.options': 'Options offered',
    'compose.reply': 'Reply', 'compose.note': 'Note', 'compose.label_reply': 'Reply to the customer',
    'compose.label_note': 'Internal note (the customer never sees it)', 'compose.send': 'Send',
    'compose.add_note': 'Add note', 'compose.sent': 'Reply sent', 'compose.noted': 'Note added',
    'compose.refused': 'Replying is not possible: {reason}', 'compose.window': 'Reply window: {hours} h left (closes {time})',
    'compose.window_closed': 'The reply window closed {time}.', 'compose.macro': 'Macro', 'compose.macro_none': 'Insert a macro…',
    'compose.insert': 'Insert', 'compose.preview': 'Preview', 'compose.empty': 'Write something first.',
    'keys.reply': 'Reply', 'keys.note': 'Note', 'keys.close': 'Close the ticket', 'keys.snooze': 'Snooze',
    'keys.assign': 'Assign', 'keys.tag': 'Tags',
  },
  ko: {
    'ticket.loading': '티켓을 불러오는 중…', 'ticket.gone': '이 티켓을 표시할 수 없습니다: {error}',
    'ticket.close': '닫기', 'ticket.reopen': '다시 열기', 'ticket.snooze': '보류', 'ticket.assign': '배정',
    'ticket.tag': '태그', 'ticket.spam': '스팸', 'ticket.not_spam': '스팸 아님', 'ticket.back': '목록으로',
    'ticket.snoozed_until': '{time}까지 보류', 'ticket.actions': '티켓 작업',
    'ticket.closed': '티켓을 닫았습니다', 'ticket.reopened': '티켓을 다시 열었습니다', 'ticket.assigned': '{name}에게 배정했습니다',
    'ticket.unassigned': '미배정', 'ticket.tagged': '태그를 저장했습니다', 'ticket.marked_spam': '스팸으로 표시했습니다',
    'ticket.marked_not_spam': '받은 편지함으로 돌아왔습니다', 'ticket.snoozed': '{time}까지 보류했습니다',
    'msg.conversation': '대화', 'msg.older': '이전 메시지 보기', 'msg.note': '메모', 'msg.you': '상담원',
    'msg.customer': '고객', 'msg.automatic': '자동', 'msg.story': '스토리에 답장함', 'msg.story_open': '스토리 열기',
    'msg.attachment': '첨부 파일', 'msg.deleted': '고객이 이 메시지를 삭제했습니다.',
    'delivery.queued': '대기 중', 'delivery.sent': '보냄', 'delivery.delivered': '전달됨', 'delivery.failed': '실패',
    'delivery.read': '읽음', 'card.order': '주문 {name}', 'card.options': '제안한 선택지',
    'compose.reply': '답장', 'compose.note': '메모', 'compose.label_reply': '고객에게 답장',
    'compose.label_note': '내부 메모 (고객에게는 보이지 않습니다)', 'compose.send': '보내기',
    'compose.add_note': '메모 추가', 'compose.sent': '답장을 보냈습니다', 'compose.noted': '메모를 추가했습니다',
    'compose.refused': '답장할 수 없습니다: {reason}', 'compose.window': '답장 가능 시간: {hours}시간 남음 ({time}에 닫힘)',
    'compose.window_closed': '답장 가능 시간이 {time}에 끝났습니다.', 'compose.macro': '매크로', 'compose.macro_none': '매크로 넣기…',
    'compose.insert': '넣기', 'compose.preview': '미리 보기', 'compose.empty': '먼저 내용을 입력하세요.',
    'keys.reply': '답장', 'keys.note': '메모', 'keys.close': '티켓 닫기', 'keys.snooze': '보류',
    'keys.assign': '배정', 'keys.tag': '태그',
    'refusal.opted_out': '고객이 이 채널을 수신 거부했습니다 (STOP 전송): 메시지를 보낼 수 없습니다',
    'refusal.not_subscribed': '고객이 SMS 수신에 동의하지 않았습니다: SMS 답장은 수신 동의한 고객에게만 보낼 수 있습니다. 이메일 주소가 있다면 이메일로 답하세요',
    'refusal.no_customer_message': '고객이 이 티켓에 메시지를 보낸 적이 없습니다: 대화는 고객만 시작할 수 있습니다',
    'refusal.window_closed_whatsapp': 'WhatsApp의 24시간 고객 응대 시간이 지났습니다: 고객이 다시 메시지를 보내야 답장할 수 있습니다',
    'refusal.window_closed_instagram': 'Instagram 메시지 답장 가능 시간이 지났습니다: 고객이 다시 메시지를 보내야 답장할 수 있습니다',
  },
});

const POLL_MS = 5000;
let macrosCache = null; // the account's macros, read once per page load

export async function mount(pane, ctx, ticketId, hooks) {
  let ticket = null;
  let olderCursor = null;
  let older = []; // messages paged in above the latest ones
  let mode = 'reply';
  let pendingKey = null; // the Idempotency-Key of the reply being sent, kept until it is accepted
  let pollTimer = null;
  let gone = false;

  replace(pane, h('p', { class: 'boot', role: 'status' }, t('ticket.loading')));
  try {
    ticket = await api(`/api/tickets/${encodeURIComponent(ticketId)}`);
  } catch (error) {
    replace(pane, h('p', { class: 'boot', role: 'alert' }, t('ticket.gone', { error: error.message })));
    return { unmount() {}, bindKeys() {} };
  }
  olderCursor = ticket.messages_next;

  const titleEl = h('h1', { id: 'ticket-title', tabindex: '-1' });
  const statusEl = h('span', { id: 'ticket-status', class: 'chip' });
  const actions = h('div', { class: 'ticket-actions', role: 'toolbar', 'aria-label': t('ticket.actions') });
  const messagesEl = h('div', { id: 'messages', class: 'messages', role: 'log', 'aria-label': t('msg.conversation'), tabindex: '0' });
  const refusal = h('div', { id: 'reply-refusal', class: 'refusal', role: 'alert', hidden: true });
  const windowEl = h('div', { id: 'reply-window', class: 'window', hidden: true });
  const text = h('textarea', { id: 'composer-text', rows: '4' });
  const textLabel = h('label', { for: 'composer-text', id: 'composer-label' });
  const tabReply = h('button', { type: 'button', role: 'tab', id: 'mode-reply', onclick: () => setMode('reply') }, t('compose.reply'));
  const tabNote = h('button', { type: 'button', role: 'tab', id: 'mode-note', onclick: () => setMode('note') }, t('compose.note'));
  const send = h('button', { type: 'button', id: 'send', class: 'primary', onclick: () => submit() });
  const macroSelect = h('select', { id: 'macro-select', 'aria-label': t('compose.macro') }, h('option', { value: '' }, t('compose.macro_none')));
  const macroInsert = h('button', { type: 'button', id: 'macro-insert', onclick: () => insertMacro() }, t('compose.insert'));
  const preview = h('div', { id: 'macro-preview', class: 'preview', 'aria-live': 'polite', hidden: true });
  const composer = h('form', { id: 'composer', class: 'composer', 'aria-label': t('compose.reply') },
    h('div', { class: 'tabs', role: 'tablist' }, tabReply, tabNote), refusal, windowEl, textLabel, text, preview,
    h('div', { class: 'composer-actions' }, send, macroSelect, macroInsert));
  composer.addEventListener('submit', (event) => { event.preventDefault(); submit(); });
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); submit(); }
  });
  text.addEventListener('input', () => { preview.hidden = true; });
  macroSelect.addEventListener('change', () => showMacroPreview());
  const overview = h('aside', { id: 'overview', class: 'overview', 'aria-label': 'Overview' });
  // An order or subscription action was done: its note is on the ticket now, and the orders changed.
  overview.addEventListener('order-action', async () => {
    announce(t('ov.action_done'));
    renderOverview(overview, ctx, ticket, { refreshOrders: true });
    await refresh(true);
  });
  const root = h('div', { id: 'ticket', class: 'ticket-pane', 'data-id': ticketId },
    h('div', { class: 'conversation' },
      h('div', { class: 'ticket-head' },
        h('button', { type: 'button', class: 'link', id: 'ticket-back', 'aria-label': t('ticket.back'), onclick: () => hooks.close() }, '←'),
        titleEl, statusEl, actions),
      messagesEl, composer),
    overview);
  replace(pane, root);

  function name() { return ticket.contact_name || ticket.profile?.name || ticket.contact; }

  function renderHead() {
    titleEl.textContent = ticket.subject ? `${name()} · ${ticket.subject}` : name();
    statusEl.textContent = t(`status.${ticket.status}`);
    statusEl.dataset.status = ticket.status;
    statusEl.className = `chip status-${ticket.status}`;
    if (ticket.status === 'snoozed' && ticket.snooze_until) statusEl.title = t('ticket.snoozed_until', { time: when(ticket.snooze_until) });
    const closed = ticket.status === 'closed';
    replace(actions,
      closed
        ? h('button', { type: 'button', id: 'action-reopen', onclick: () => change({ status: 'open' }, t('ticket.reopened')) }, t('ticket.reopen'))
        : h('button', { type: 'button', id: 'action-close', onclick: () => closeTicket() }, t('ticket.close')),
      h('button', { type: 'button', id: 'action-snooze', onclick: () => snooze() }, t('ticket.snooze')),
      h('button', { type: 'button', id: 'action-assign', onclick: () => assign() }, t('ticket.assign')),
      h('button', { type: 'button', id: 'action-tag', onclick: () => tag() }, t('ticket.tag')),
      h('button', { type: 'button', id: 'action-spam', class: ticket.spam ? '' : 'danger', onclick: () => spam() }, ticket.spam ? t('ticket.not_spam') : t('ticket.spam')));
  }

  function media(item) {
    const url = item.url || item.link || '';
    const type = item.content_type || item.type || '';
    if (/^image\//.test(type) || /\.(png|jpe?g|gif|webp)(\?|$)/i.test(url)) {
      return h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, h('img', { src: url, alt: item.filename || t('msg.attachment'), loading: 'lazy' }));
    }
    return h('a', { href: url || null, target: '_blank', rel: 'noopener noreferrer' }, `📎 ${item.filename || item.name || t('msg.attachment')}`);
  }

  function card(c) {
    const order = c.order || {};
    const options = c.options || c.actions || [];
    return h('div', { class: 'card', role: 'group', 'aria-label': t('card.order', { name: order.name || '' }) },
      h('strong', {}, t('card.order', { name: order.name || '' })), order.state ? ` · ${order.state}` : '',
      (order.items || c.items || []).length ? h('ul', {}, (order.items || c.items).map((i) => h('li', {}, `${i.quantity ?? ''} × ${i.title || i.name || ''}${i.variant ? ` (${i.variant})` : ''}`))) : null,
      options.length ? h('div', { class: 'muted' }, t('card.options'), ': ', options.map((o) => o.label || o.title || o.action || String(o)).join(' · ')) : null);
  }

  function message(m) {
    const kind = m.direction === 'note' ? 'note' : m.direction;
    const who = kind === 'inbound' ? t('msg.customer') : kind === 'note' ? t('msg.note') : m.automatic ? t('msg.automatic') : t('msg.you');
    return h('article', { class: `msg ${kind}`, 'data-id': m.id, 'aria-label': who },
      m.story ? h('div', { class: 'story' }, t('msg.story'), m.story.url ? [' · ', h('a', { href: m.story.url, target: '_blank', rel: 'noopener noreferrer' }, t('msg.story_open'))] : null) : null,
      m.deleted ? h('em', { class: 'muted' }, t('msg.deleted')) : h('div', { class: 'msg-body' }, m.body || ''),
      (m.media || []).length ? h('div', { class: 'media' }, m.media.map(media)) : null,
      m.card ? card(m.card) : null,
      h('div', { class: 'msg-meta' },
        h('span', {}, who), h('time', { datetime: m.created_at }, when(m.created_at)),
        m.delivery ? h('span', { class: `delivery delivery-${m.delivery}`, 'data-delivery': m.delivery, title: m.delivery_error || '' },
          m.read ? t('delivery.read') : t(`delivery.${m.delivery}`), m.delivery_error ? `: ${m.delivery_error}` : '') : null));
  }

  function renderMessages(stickToEnd) {
    const atEnd = messagesEl.scrollTop + messagesEl.clientHeight >= messagesEl.scrollHeight - 40;
    const fromBottom = messagesEl.scrollHeight - messagesEl.scrollTop;
    const all = [...older, ...ticket.messages.filter((m) => !older.some((o) => o.id === m.id))];
    replace(messagesEl,
      olderCursor ? h('button', { type: 'button', class: 'link', id: 'older', onclick: () => loadOlder() }, t('msg.older')) : null,
      all.map(message));
    if (stickToEnd || atEnd) messagesEl.scrollTop = messagesEl.scrollHeight;
    else messagesEl.scrollTop = messagesEl.scrollHeight - fromBottom;
  }

  async function loadOlder() {
    const page = await api(`/api/tickets/${encodeURIComponent(ticketId)}/messages`, { query: { before: olderCursor } });
    older = [...page.items, ...older];
    olderCursor = page.next;
    const height = messagesEl.scrollHeight;
    renderMessages(false);
    messagesEl.scrollTop = messagesEl.scrollHeight - height;
  }

  function renderRules() {
    const rule = ticket.can_reply || { allowed: true };
    const refused = mode === 'reply' && !rule.allowed;
    refusal.hidden = !refused;
    refusal.textContent = refused ? t('compose.refused', { reason: refusalText(rule) }) : '';
    const w = ticket.reply_window;
    windowEl.hidden = !(mode === 'reply' && w);
    if (w) {
      windowEl.textContent = w.open ? t('compose.window', { hours: w.hours_left, time: when(w.human_agent_until || w.closes_at) })
        : t('compose.window_closed', { time: when(w.closes_at) });
    }
    send.disabled = refused;
    text.setAttribute('aria-describedby', refused ? 'reply-refusal' : w ? 'reply-window' : '');
  }

  /** The API's reason in the agent's language when it says which rule it is: Korean has its own words,
   *  English (and an unknown code) the API's, which are the most precise. */
  function refusalText(rule) {
    const key = `refusal.${rule.code}_${ticket.channel}`;
    const general = `refusal.${rule.code}`;
    return rule.code ? (t(key) !== key ? t(key) : t(general) !== general ? t(general) : rule.reason) : rule.reason;
  }

  function setMode(next) {
    mode = next;
    composer.classList.toggle('note-mode', mode === 'note');
    tabReply.setAttribute('aria-selected', String(mode === 'reply'));
    tabNote.setAttribute('aria-selected', String(mode === 'note'));
    textLabel.textContent = mode === 'note' ? t('compose.label_note') : t('compose.label_reply');
    send.textContent = mode === 'note' ? t('compose.add_note') : t('compose.send');
    renderRules();
  }

  async function submit() {
    const body = text.value.trim();
    if (!body) { announce(t('compose.empty'), 'error'); focus(text); return; }
    if (mode === 'reply' && ticket.can_reply && !ticket.can_reply.allowed) return;
    pendingKey ||= idempotencyKey();
    const kind = mode;
    send.disabled = true;
    try {
      await api(`/api/tickets/${encodeURIComponent(ticketId)}/messages`, {
        method: 'POST', body: { type: kind, body }, headers: { 'Idempotency-Key': pendingKey },
      });
      pendingKey = null;
      // Only what was sent is cleared: the agent may have gone on typing while it went out.
      if (text.value.trim() === body) text.value = '';
      preview.hidden = true;
      announce(kind === 'note' ? t('compose.noted') : t('compose.sent'));
      await refresh(true);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        pendingKey = null; // refused: nothing was sent, a new attempt is a new reply
        refusal.hidden = false;
        refusal.textContent = t('compose.refused', { reason: error.message });
      } else if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
        pendingKey = null;
        announce(explain(error), 'error');
      } else {
        announce(explain(error), 'error'); // kept: sending again reuses the key, so it goes out once
      }
    } finally {
      send.disabled = mode === 'reply' && ticket.can_reply && !ticket.can_reply.allowed;
    }
  }

  async function loadMacros() {
    if (!macrosCache) macrosCache = api('/api/macros').then((x) => x.items || []).catch(() => []);
    const list = await macrosCache;
    replace(macroSelect, h('option', { value: '' }, t('compose.macro_none')), list.map((m) => h('option', { value: m.id }, m.name)));
    macroSelect.hidden = macroInsert.hidden = list.length === 0;
  }

  async function rendered() {
    const id = macroSelect.value;
    if (!id) return null;
    return (await api(`/api/tickets/${encodeURIComponent(ticketId)}/macros/${encodeURIComponent(id)}/preview`)).text;
  }

  async function showMacroPreview() {
    const value = await rendered();
    preview.hidden = value === null;
    preview.replaceChildren(h('strong', {}, t('compose.preview'), ': '), value || '');
  }

  async function insertMacro() {
    const value = await rendered();
    if (value === null) return;
    text.value = text.value ? `${text.value.replace(/\s+$/, '')}\n\n${value}` : value;
    preview.hidden = true;
    focus(text);
  }

  async function change(values, done) {
    const changed = await api(`/api/tickets/${encodeURIComponent(ticketId)}`, { method: 'PATCH', body: values });
    ticket = { ...ticket, ...changed };
    renderHead();
    renderOverview(overview, ctx, ticket);
    hooks.changed(changed);
    announce(done);
    return changed;
  }

  async function closeTicket() {
    await change({ status: 'closed' }, t('ticket.closed'));
  }

  async function snooze() {
    const until = await pickSnooze();
    if (until) await change({ snooze_until: until }, t('ticket.snoozed', { time: when(until) }));
  }

  async function assign() {
    const agent = await pickAgent(ctx, ticket.assignee_id);
    if (agent !== undefined) await change({ assignee_id: agent }, agent ? t('ticket.assigned', { name: ctx.agentName(agent) }) : t('ticket.unassigned'));
  }

  async function tag() {
    const tags = await pickTags(ticket.tags || []);
    if (tags) await change({ tags }, t('ticket.tagged'));
  }

  async function spam() {
    await change({ spam: !ticket.spam }, ticket.spam ? t('ticket.marked_not_spam') : t('ticket.marked_spam'));
  }

  /** The ticket again (new messages, delivery states, fields), keeping the composer as it is. */
  async function refresh(stickToEnd = false) {
    const fresh = await api(`/api/tickets/${encodeURIComponent(ticketId)}`).catch((error) => {
      if (error instanceof ApiError && error.status === 404) gone = true;
      return null;
    });
    if (!fresh || gone) return;
    const changed = fresh.version !== ticket.version || fresh.messages.length !== ticket.messages.length
      || JSON.stringify(fresh.messages.map((m) => [m.id, m.delivery, m.read])) !== JSON.stringify(ticket.messages.map((m) => [m.id, m.delivery, m.read]));
    ticket = fresh;
    if (!olderCursor && !older.length) olderCursor = fresh.messages_next;
    if (changed || stickToEnd) {
      renderHead(); renderMessages(stickToEnd); renderRules(); renderOverview(overview, ctx, ticket, { refreshOrders: false });
      hooks.changed(fresh);
    }
  }

  function bindKeys() {
    keys.bind('r', () => t('keys.reply'), () => { setMode('reply'); focus(text); });
    keys.bind('n', () => t('keys.note'), () => { setMode('note'); focus(text); });
    keys.bind('e', () => t('keys.close'), () => (ticket.status === 'closed' ? null : closeTicket()));
    keys.bind('s', () => t('keys.snooze'), () => snooze());
    keys.bind('a', () => t('keys.assign'), () => assign());
    keys.bind('#', () => t('keys.tag'), () => tag());
  }

  renderHead();
  setMode('reply');
  renderMessages(true);
  renderOverview(overview, ctx, ticket, { delay: 300 });
  loadMacros();
  bindKeys();
  focus(titleEl);
  pollTimer = setInterval(() => { if (!document.hidden) refresh(false); }, POLL_MS);
  return {
    bindKeys,
    unmount() { clearInterval(pollTimer); },
  };
}
