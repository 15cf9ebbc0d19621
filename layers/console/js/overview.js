// The ticket's overview panel: its fields (with why it has its assignee), the customer's profile and
// predictive fields, their orders and subscriptions with their states and what the agent can do to them
// (the dialogs are in orderactions.js, loaded on first use), and recent events grouped by metric.
import { api } from './api.js';
import { h, replace } from './dom.js';
import { t, addStrings, when, locale } from './i18n.js';

addStrings({
  en: {
    'ov.ticket': 'Ticket', 'ov.status': 'Status', 'ov.channel': 'Channel', 'ov.contact': 'Contact', 'ov.assignee': 'Assignee',
    'ov.why': 'Why', 'ov.team': 'Team', 'ov.priority': 'Priority', 'ov.tags': 'Tags', 'ov.created': 'Created',
    'ov.updated': 'Updated', 'ov.snoozed': 'Snoozed until', 'ov.customer': 'Customer', 'ov.name': 'Name', 'ov.email': 'Email',
    'ov.phone': 'Phone', 'ov.consent': 'Consent', 'ov.segments': 'Segments', 'ov.tickets': 'Tickets',
    'ov.predictive': 'Predictive', 'ov.lifetime_value': 'Lifetime value', 'ov.order_count': 'Orders',
    'ov.churn_risk': 'Churn risk', 'ov.expected_next_order_date': 'Next order expected',
    'ov.orders': 'Orders', 'ov.no_orders': 'No orders found.', 'ov.orders_unavailable': 'Orders unavailable: {error}',
    'ov.subscriptions': 'Subscriptions', 'ov.events': 'Recent events', 'ov.no_events': 'No events.',
    'ov.events_unavailable': 'Events unavailable: {error}', 'ov.none': '—', 'ov.loading': 'Loading…',
    'why.round_robin': 'Round robin (load {load}{capacity})', 'why.previous_assignee': 'Back to the previous assignee',
    'why.manual': 'Assigned by an agent', 'why.waiting': 'Waiting: nobody in the team has room', 'why.rule': 'rule {n}',
    'why.eligible': 'eligible: {names}', 'source.ai': 'AI {pct}%', 'source.rule': 'rule', 'source.agent': 'agent',
    'ov.edit_order': 'Change quantities', 'ov.cancel_order': 'Cancel order', 'ov.skip_charge': 'Skip next charge',
    'ov.change_subscription': 'Change', 'ov.cancel_subscription': 'Cancel subscription', 'ov.next_charge': 'next charge {date}',
    'ov.events_metric': 'Show the events of', 'ov.all_metrics': 'Every metric', 'ov.order_actions': 'Actions on order {order}', 'ov.action_done': 'Done, and noted on the ticket.', 'ov.subscription_actions': 'Actions on the subscription {product}',
  },
  ko: {
    'ov.ticket': '티켓', 'ov.status': '상태', 'ov.channel': '채널', 'ov.contact': '연락처', 'ov.assignee': '담당자',
    'ov.why': '배정 이유', 'ov.team': '팀', 'ov.priority': '우선순위', 'ov.tags': '태그', 'ov.created': '생성',
    'ov.updated': '업데이트', 'ov.snoozed': '보류 기한', 'ov.customer': '고객', 'ov.name': '이름', 'ov.email': '이메일',
    'ov.phone': '전화', 'ov.consent': '수신 동의', 'ov.segments': '세그먼트', 'ov.tickets': '티켓 수',
    'ov.predictive': '예측 지표', 'ov.lifetime_value': '생애 가치', 'ov.order_count': '주문 수',
    'ov.churn_risk': '이탈 위험', 'ov.expected_next_order_date': '다음 주문 예상일',
    'ov.orders': '주문', 'ov.no_orders': '주문이 없습니다.', 'ov.orders_unavailable': '주문을 불러올 수 없습니다: {error}',
    'ov.subscriptions': '구독', 'ov.events': '최근 이벤트', 'ov.no_events': '이벤트가 없습니다.',
    'ov.events_unavailable': '이벤트를 불러올 수 없습니다: {error}', 'ov.none': '—', 'ov.loading': '불러오는 중…',
    'why.round_robin': '라운드 로빈 (부하 {load}{capacity})', 'why.previous_assignee': '이전 담당자에게 다시 배정',
    'why.manual': '상담원이 배정', 'why.waiting': '대기: 팀에 여유 있는 상담원이 없음', 'why.rule': '규칙 {n}',
    'why.eligible': '대상: {names}', 'source.ai': 'AI {pct}%', 'source.rule': '규칙', 'source.agent': '상담원',
    'ov.edit_order': '수량 변경', 'ov.cancel_order': '주문 취소', 'ov.skip_charge': '다음 결제 건너뛰기',
    'ov.change_subscription': '변경', 'ov.cancel_subscription': '구독 해지', 'ov.next_charge': '다음 결제 {date}',
    'ov.events_metric': '이벤트 종류', 'ov.all_metrics': '모든 지표', 'ov.order_actions': '주문 {order} 작업', 'ov.action_done': '완료했고 티켓에 메모로 남겼습니다.', 'ov.subscription_actions': '구독 {product} 작업',
  },
});

const cache = new Map(); // ticket id -> {orders: Promise, events: Promise}

function dl(rows) {
  return h('dl', {}, rows.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v === null || v === undefined || v === '' ? t('ov.none') : v)]));
}

function why(ctx, reason) {
  if (!reason) return null;
  const parts = [];
  if (reason.kind === 'round_robin') parts.push(t('why.round_robin', { load: reason.load ?? '?', capacity: reason.capacity ? `/${reason.capacity}` : '' }));
  else parts.push(t(`why.${reason.kind}`));
  if (reason.rule !== null && reason.rule !== undefined) parts.push(t('why.rule', { n: Number(reason.rule) + 1 }));
  if (reason.eligible?.length) parts.push(t('why.eligible', { names: reason.eligible.map((e) => `${ctx.agentName(e.id)} (${e.load})`).join(', ') }));
  return parts.join(' · ');
}

function tagList(ticket) {
  const details = ticket.tag_details || (ticket.tags || []).map((name) => ({ name, source: 'agent' }));
  if (!details.length) return null;
  return h('span', {}, details.map((d) => h('span', { class: 'chip tag', title: d.source === 'ai' ? t('source.ai', { pct: Math.round((d.confidence || 0) * 100) }) : t(`source.${d.source}`) },
    d.name, d.source === 'ai' ? ' ✦' : '')));
}

function money(value) {
  const n = Number(value);
  return Number.isFinite(n) ? n.toLocaleString(locale(), { maximumFractionDigits: 2 }) : value;
}

/** A button that opens one of orderactions.js's dialogs; once it acted, the panel tells the ticket
 *  (an `order-action` event: the note it left shows, the orders are read again). */
function actionButton(el, ticket, id, label, dialog, subject) {
  return h('button', { type: 'button', class: 'small', id, onclick: async () => {
    const module = await import('./orderactions.js');
    const answer = await module[dialog](ticket.id, subject);
    if (answer) el.dispatchEvent(new CustomEvent('order-action', { bubbles: true, detail: answer }));
  } }, label);
}

function orderActions(el, ticket, o) {
  const key = o.id.split('/').pop();
  const buttons = [
    o.editable ? actionButton(el, ticket, `order-edit-${key}`, t('ov.edit_order'), 'editQuantities', o) : null,
    // A shipped order goes back through a return, not a cancellation.
    ['cancelled', 'fulfilled'].includes(o.state) ? null : actionButton(el, ticket, `order-cancel-${key}`, t('ov.cancel_order'), 'cancelOrder', o),
  ].filter(Boolean);
  return buttons.length ? h('div', { class: 'order-actions', role: 'group', 'aria-label': t('ov.order_actions', { order: o.name }) }, buttons) : null;
}

function subscriptionActions(el, ticket, s) {
  if (String(s.status).toLowerCase() !== 'active') return null;
  return h('div', { class: 'order-actions', role: 'group', 'aria-label': t('ov.subscription_actions', { product: s.product_title }) },
    actionButton(el, ticket, `sub-skip-${s.id}`, t('ov.skip_charge'), 'skipCharge', s),
    actionButton(el, ticket, `sub-change-${s.id}`, t('ov.change_subscription'), 'changeSubscription', s),
    actionButton(el, ticket, `sub-cancel-${s.id}`, t('ov.cancel_subscription'), 'cancelSubscription', s));
}

async function orders(ctx, ticket, box, el) {
  try {
    const data = await cache.get(ticket.id).orders;
    const list = data.orders || [];
    replace(box, list.length ? list.map((o) => h('div', { class: 'order', 'data-order': o.name },
      h('strong', {}, o.name), ' · ', h('span', { class: 'order-state' }, o.state), ' · ', when(o.created_at),
      (o.lines || []).length ? h('ul', {}, o.lines.map((l) => h('li', {}, `${l.quantity} × ${l.title}`))) : null,
      o.status_url ? h('a', { href: o.status_url, target: '_blank', rel: 'noopener noreferrer' }, '↗') : null,
      orderActions(el, ticket, o)))
      : h('p', { class: 'muted' }, t('ov.no_orders')),
    (data.subscriptions || []).length ? [h('h3', {}, t('ov.subscriptions')), data.subscriptions.map((s) => h('div', { class: 'order', 'data-subscription': s.id },
      `${s.product_title} × ${s.quantity} · ${s.status}`,
      s.next_charge_scheduled_at ? ` · ${t('ov.next_charge', { date: s.next_charge_scheduled_at.slice(0, 10) })}` : '',
      subscriptionActions(el, ticket, s)))] : null);
  } catch (error) {
    replace(box, h('p', { class: 'muted' }, t('ov.orders_unavailable', { error: error.message })));
  }
}

const SAVED_METRIC = 'helpdesk.eventsMetric'; // the agent's metric filter, kept from ticket to ticket

function eventItem(e) {
  return h('li', {}, when(e.time), e.properties?.value ? ` · ${money(e.properties.value)}` : '',
    e.properties?.name || e.properties?.title ? ` · ${e.properties.name || e.properties.title}` : '');
}

/** The profile's recent events: grouped by metric, or the latest of the one metric the agent chose (the
 *  API filters, so a metric rarer than the 25 latest events still shows its own). */
async function events(ctx, ticket, box) {
  try {
    const data = await cache.get(ticket.id).events;
    const items = data.items || [];
    const pid = ticket.profile?.id;
    const saved = localStorage.getItem(SAVED_METRIC) || '';
    const metrics = [...new Set([...items.map((e) => e.metric), ...(saved ? [saved] : [])])];
    if (!pid || !metrics.length) { replace(box, h('p', { class: 'muted' }, t('ov.no_events'))); return; }
    const pick = h('select', { id: 'events-metric', 'aria-label': t('ov.events_metric') },
      h('option', { value: '' }, t('ov.all_metrics')), metrics.map((m) => h('option', { value: m, selected: m === saved }, m)));
    const list = h('div', { id: 'events-list', 'aria-live': 'polite' });
    const draw = async () => {
      const metric = pick.value;
      if (metric) localStorage.setItem(SAVED_METRIC, metric); else localStorage.removeItem(SAVED_METRIC);
      if (!metric) {
        const byMetric = new Map(metrics.map((m) => [m, items.filter((e) => e.metric === m)]).filter(([, l]) => l.length));
        replace(list, [...byMetric.entries()].map(([m, l]) => h('div', { class: 'event-group' },
          h('h3', {}, `${m} (${l.length})`), h('ul', {}, l.slice(0, 5).map(eventItem)))));
        return;
      }
      replace(list, h('p', { class: 'muted' }, t('ov.loading')));
      try {
        const page = await api(`/api/profiles/${encodeURIComponent(pid)}/events`, { query: { metric, limit: 25 } });
        if (pick.value !== metric) return; // the agent chose again meanwhile
        replace(list, (page.items || []).length ? h('ul', { class: 'event-group' }, page.items.map(eventItem)) : h('p', { class: 'muted' }, t('ov.no_events')));
      } catch (error) {
        replace(list, h('p', { class: 'muted' }, t('ov.events_unavailable', { error: error.message })));
      }
    };
    pick.addEventListener('change', draw);
    replace(box, pick, list);
    draw();
  } catch (error) {
    replace(box, h('p', { class: 'muted' }, t('ov.events_unavailable', { error: error.message })));
  }
}

/** Fills the panel. The orders and events are asked for `delay` ms later, and only if the panel is still
 *  in the page then: an agent moving through tickets with j/k costs no Shopify lookups, and the ticket
 *  they open next gets the server to itself. */
export function renderOverview(el, ctx, ticket, { refreshOrders = true, delay = 0, later = false } = {}) {
  if (delay) {
    renderOverview(el, ctx, ticket, { refreshOrders: false, later: true });
    setTimeout(() => { if (el.isConnected) renderOverview(el, ctx, ticket, { refreshOrders }); }, delay);
    return;
  }
  const pending = later && !cache.has(ticket.id); // shown as loading until the delay is over
  if (!pending && (!cache.has(ticket.id) || refreshOrders)) {
    const id = encodeURIComponent(ticket.id);
    const pid = ticket.profile?.id;
    cache.set(ticket.id, {
      orders: api(`/api/tickets/${id}/orders`),
      events: pid && !ticket.profile.profile_details ? api(`/api/profiles/${encodeURIComponent(pid)}/events`, { query: { limit: 25 } }) : Promise.resolve({ items: [] }),
    });
    // Handled where they are shown; never an unhandled rejection.
    cache.get(ticket.id).orders.catch(() => {});
    cache.get(ticket.id).events.catch(() => {});
  }
  const p = ticket.profile;
  const pred = p?.predictive;
  const ordersBox = h('div', { id: 'orders' }, h('p', { class: 'muted' }, t('ov.loading')));
  const eventsBox = h('div', { id: 'events' }, h('p', { class: 'muted' }, t('ov.loading')));
  replace(el,
    h('h2', {}, t('ov.ticket')),
    dl([
      [t('ov.status'), t(`status.${ticket.status}`)], [t('ov.channel'), t(`channel.${ticket.channel}`)],
      [t('ov.contact'), ticket.contact], [t('ov.assignee'), ticket.assignee_id ? ctx.agentName(ticket.assignee_id) : t('ticket.unassigned')],
      ticket.assignment_reason ? [t('ov.why'), why(ctx, ticket.assignment_reason)] : null,
      ticket.team_id ? [t('ov.team'), ticket.team_id] : null, ticket.priority ? [t('ov.priority'), ticket.priority] : null,
      [t('ov.tags'), tagList(ticket)], ticket.snooze_until ? [t('ov.snoozed'), when(ticket.snooze_until)] : null,
      [t('ov.created'), when(ticket.created_at)], [t('ov.updated'), when(ticket.updated_at)],
    ]),
    h('h2', {}, t('ov.customer')),
    h('div', { id: 'profile' }, p ? [
      dl([[t('ov.name'), p.name], [t('ov.email'), p.email], [t('ov.phone'), p.phone],
        p.consent ? [t('ov.consent'), Object.entries(p.consent).filter(([, v]) => v).map(([k, v]) => `${k}: ${v}`).join(', ')] : null,
        p.segments ? [t('ov.segments'), p.segments.join(', ')] : null,
        p.ticket_count !== undefined ? [t('ov.tickets'), p.ticket_count] : null]),
      p.profile_details ? h('p', { class: 'muted' }, p.profile_details) : null,
      pred ? [h('h2', {}, t('ov.predictive')), dl(Object.entries(pred).map(([k, v]) => [t(`ov.${k}`), k === 'lifetime_value' ? money(v) : v]))] : null,
    ] : h('p', { class: 'muted' }, t('ov.none'))),
    h('h2', {}, t('ov.orders')), ordersBox,
    h('h2', {}, t('ov.events')), eventsBox);
  if (pending) return;
  orders(ctx, ticket, ordersBox, el);
  events(ctx, ticket, eventsBox);
}
