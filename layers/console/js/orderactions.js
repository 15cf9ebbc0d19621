// The agent's actions on the customer's orders and subscriptions (SPEC §4), opened from the overview
// panel: change an order's quantities or cancel it in Shopify; skip a charge of, change or cancel a
// Recharge subscription. Each is a dialog that says what will happen; its confirm button is the agent's
// confirmation (`"confirm": true`). One Idempotency-Key per dialog: a retry after a network error answers
// the first attempt and never acts twice; after a refusal the server gave the key back, so a corrected
// attempt may use it. Loaded when an agent first opens one of these dialogs.
import { api, explain, idempotencyKey } from './api.js';
import { h, focus } from './dom.js';
import { field, checkbox, select, errorBox } from './forms.js';
import { t, addStrings } from './i18n.js';

addStrings({
  en: {
    'oa.back': 'Back', 'oa.restock': 'Put what is taken off back in stock', 'oa.notify': 'Shopify emails the customer',
    'oa.edit_title': 'Change order {order}', 'oa.edit_help': 'New quantity of each line (0 removes it). Shipped items cannot be taken off.',
    'oa.edit_confirm': 'Change order {order}', 'oa.edit_none': 'Change a quantity first.',
    'oa.line': '{title} (now {quantity}; at least {min})', 'oa.bad_quantity': 'Each quantity is a whole number from {min} to 10000.',
    'oa.cancel_title': 'Cancel order {order}', 'oa.cancel_help': 'Shopify cancels the whole order. This cannot be undone.',
    'oa.cancel_confirm': 'Cancel order {order}', 'oa.reason': 'Reason', 'oa.refund': 'Refund',
    'reason.CUSTOMER': 'The customer asked', 'reason.DECLINED': 'Payment declined', 'reason.FRAUD': 'Fraud',
    'reason.INVENTORY': 'Out of stock', 'reason.STAFF': 'Staff error', 'reason.OTHER': 'Other',
    'refund.original': 'To the original payment', 'refund.store_credit': 'As store credit', 'refund.none': 'No refund',
    'oa.skip_title': 'Skip the next charge', 'oa.skip_help': '{product}: the charge of {date} is skipped; the subscription goes on.',
    'oa.skip_confirm': 'Skip the charge', 'oa.next_charge_unknown': 'the next charge',
    'oa.change_title': 'Change the subscription', 'oa.change_help': '{product}: change the quantity, the next charge date, or both.',
    'oa.quantity': 'Quantity', 'oa.next_charge': 'Next charge date', 'oa.change_confirm': 'Save the subscription',
    'oa.change_none': 'Change the quantity or the date first.', 'oa.bad_sub_quantity': 'The quantity is a whole number from 1 to 1000.',
    'oa.cancel_sub_title': 'Cancel the subscription', 'oa.cancel_sub_help': '{product}: no further charges.',
    'oa.cancel_sub_reason': 'Reason (the customer\'s words)', 'oa.comments': 'Comments (optional)',
    'oa.cancel_sub_confirm': 'Cancel the subscription', 'oa.reason_needed': 'Give the reason.',
  },
  ko: {
    'oa.back': '돌아가기', 'oa.restock': '빠진 수량을 재고로 되돌림', 'oa.notify': 'Shopify가 고객에게 이메일 보냄',
    'oa.edit_title': '주문 {order} 변경', 'oa.edit_help': '각 품목의 새 수량 (0이면 삭제). 이미 발송된 수량은 뺄 수 없습니다.',
    'oa.edit_confirm': '주문 {order} 변경', 'oa.edit_none': '먼저 수량을 바꾸세요.',
    'oa.line': '{title} (현재 {quantity}, 최소 {min})', 'oa.bad_quantity': '수량은 {min}에서 10000 사이의 정수입니다.',
    'oa.cancel_title': '주문 {order} 취소', 'oa.cancel_help': 'Shopify가 주문 전체를 취소합니다. 되돌릴 수 없습니다.',
    'oa.cancel_confirm': '주문 {order} 취소', 'oa.reason': '사유', 'oa.refund': '환불',
    'reason.CUSTOMER': '고객 요청', 'reason.DECLINED': '결제 거절', 'reason.FRAUD': '사기 의심',
    'reason.INVENTORY': '재고 없음', 'reason.STAFF': '직원 실수', 'reason.OTHER': '기타',
    'refund.original': '원래 결제 수단으로', 'refund.store_credit': '적립금으로', 'refund.none': '환불 없음',
    'oa.skip_title': '다음 결제 건너뛰기', 'oa.skip_help': '{product}: {date} 결제를 건너뜁니다. 구독은 계속됩니다.',
    'oa.skip_confirm': '결제 건너뛰기', 'oa.next_charge_unknown': '다음',
    'oa.change_title': '구독 변경', 'oa.change_help': '{product}: 수량, 다음 결제일 또는 둘 다 바꿉니다.',
    'oa.quantity': '수량', 'oa.next_charge': '다음 결제일', 'oa.change_confirm': '구독 저장',
    'oa.change_none': '먼저 수량이나 날짜를 바꾸세요.', 'oa.bad_sub_quantity': '수량은 1에서 1000 사이의 정수입니다.',
    'oa.cancel_sub_title': '구독 해지', 'oa.cancel_sub_help': '{product}: 이후 결제가 없습니다.',
    'oa.cancel_sub_reason': '사유 (고객의 말)', 'oa.comments': '메모 (선택)',
    'oa.cancel_sub_confirm': '구독 해지', 'oa.reason_needed': '사유를 적으세요.',
  },
});

const CANCEL_REASONS = ['CUSTOMER', 'DECLINED', 'FRAUD', 'INVENTORY', 'STAFF', 'OTHER'];
const REFUNDS = ['original', 'store_credit', 'none'];

class Invalid extends Error {}

/** The dialog of one action: resolves with the API's answer once it acted, undefined if the agent backs out. */
function actionDialog(ticketId, { id, title, help, content = [], confirmLabel, danger = false, request }) {
  return new Promise((resolve) => {
    const key = idempotencyKey();
    let answer;
    const error = errorBox(`${id}-error`);
    const back = h('button', { type: 'button', id: `${id}-back`, onclick: () => el.close() }, t('oa.back'));
    const ok = h('button', { type: 'submit', class: danger ? 'danger' : 'primary', id: `${id}-confirm` }, confirmLabel);
    const form = h('form', { novalidate: true }, h('p', { class: 'muted' }, help), content, error, h('div', { class: 'actions' }, back, ok));
    const el = h('dialog', { class: 'dialog', id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), form);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.textContent = '';
      let body;
      try { body = request(); } catch (problem) {
        if (!(problem instanceof Invalid)) throw problem;
        error.textContent = problem.message;
        return;
      }
      ok.disabled = true;
      back.disabled = true;
      try {
        answer = await api(`/api/tickets/${encodeURIComponent(ticketId)}/order-actions`,
          { method: 'POST', body: { ...body, confirm: true }, headers: { 'Idempotency-Key': key } });
        el.close();
      } catch (problem) {
        error.textContent = explain(problem);
      } finally {
        ok.disabled = false;
        back.disabled = false;
      }
    });
    el.addEventListener('close', () => { el.remove(); resolve(answer); });
    document.body.append(el);
    el.showModal();
    focus(form.querySelector('input, select, textarea') || back);
  });
}

function choice(id, values, prefix, selected) {
  return select(id, values.map((v) => [v, t(`${prefix}.${v}`)]), selected);
}

export function editQuantities(ticketId, order) {
  const lines = (order.lines || []).filter((l) => l.state !== 'removed');
  const inputs = lines.map((line) => {
    const min = line.quantity - (line.editable_quantity || 0);
    const input = h('input', { type: 'number', id: `oa-line-${line.id.split('/').pop()}`, min, max: 10000, step: 1,
      value: line.quantity, disabled: !line.editable, 'data-line': line.id, class: 'quantity' });
    return { line, min, input };
  });
  const restock = checkbox('oa-restock', t('oa.restock'), true);
  const notify = checkbox('oa-notify', t('oa.notify'), true);
  return actionDialog(ticketId, {
    id: 'order-edit-dialog', title: t('oa.edit_title', { order: order.name }), help: t('oa.edit_help'),
    confirmLabel: t('oa.edit_confirm', { order: order.name }),
    content: [inputs.map(({ line, min, input }) => field(input.id, t('oa.line', { title: line.title, quantity: line.quantity, min }), input)),
      restock.el, notify.el],
    request: () => {
      const quantities = {};
      for (const { line, min, input } of inputs) {
        if (input.disabled) continue;
        const value = Number(input.value);
        if (input.value === '' || !Number.isInteger(value) || value < min || value > 10000) throw new Invalid(t('oa.bad_quantity', { min }));
        if (value !== line.quantity) quantities[line.id] = value;
      }
      if (!Object.keys(quantities).length) throw new Invalid(t('oa.edit_none'));
      return { action: 'set_quantities', order_id: order.id, quantities, restock: restock.input.checked, notify_customer: notify.input.checked };
    },
  });
}

export function cancelOrder(ticketId, order) {
  const reason = choice('oa-cancel-reason', CANCEL_REASONS, 'reason', 'CUSTOMER');
  const refund = choice('oa-cancel-refund', REFUNDS, 'refund', 'original');
  const restock = checkbox('oa-cancel-restock', t('oa.restock'), true);
  const notify = checkbox('oa-cancel-notify', t('oa.notify'), true);
  return actionDialog(ticketId, {
    id: 'order-cancel-dialog', title: t('oa.cancel_title', { order: order.name }), help: t('oa.cancel_help'),
    confirmLabel: t('oa.cancel_confirm', { order: order.name }), danger: true,
    content: [field(reason.id, t('oa.reason'), reason), field(refund.id, t('oa.refund'), refund), restock.el, notify.el],
    request: () => ({ action: 'cancel_order', order_id: order.id, reason: reason.value, refund: refund.value,
      restock: restock.input.checked, notify_customer: notify.input.checked }),
  });
}

export function skipCharge(ticketId, sub) {
  return actionDialog(ticketId, {
    id: 'sub-skip-dialog', title: t('oa.skip_title'), confirmLabel: t('oa.skip_confirm'),
    help: t('oa.skip_help', { product: sub.product_title, date: (sub.next_charge_scheduled_at || '').slice(0, 10) || t('oa.next_charge_unknown') }),
    request: () => ({ action: 'skip_charge', subscription_id: sub.id }),
  });
}

export function changeSubscription(ticketId, sub) {
  const current = (sub.next_charge_scheduled_at || '').slice(0, 10);
  const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  const quantity = h('input', { type: 'number', id: 'oa-sub-quantity', min: 1, max: 1000, step: 1, value: sub.quantity, class: 'quantity' });
  const date = h('input', { type: 'date', id: 'oa-sub-date', min: tomorrow, value: current });
  return actionDialog(ticketId, {
    id: 'sub-change-dialog', title: t('oa.change_title'), help: t('oa.change_help', { product: sub.product_title }),
    confirmLabel: t('oa.change_confirm'),
    content: [field(quantity.id, t('oa.quantity'), quantity), field(date.id, t('oa.next_charge'), date)],
    request: () => {
      const body = { action: 'change_subscription', subscription_id: sub.id };
      const n = Number(quantity.value);
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Invalid(t('oa.bad_sub_quantity'));
      if (n !== sub.quantity) body.quantity = n;
      if (date.value && date.value !== current) body.next_charge_date = date.value;
      if (Object.keys(body).length === 2) throw new Invalid(t('oa.change_none'));
      return body;
    },
  });
}

export function cancelSubscription(ticketId, sub) {
  const reason = h('input', { type: 'text', id: 'oa-sub-reason', maxlength: 255, required: true });
  const comments = h('textarea', { id: 'oa-sub-comments', rows: 2, maxlength: 1000 });
  return actionDialog(ticketId, {
    id: 'sub-cancel-dialog', title: t('oa.cancel_sub_title'), help: t('oa.cancel_sub_help', { product: sub.product_title }),
    confirmLabel: t('oa.cancel_sub_confirm'), danger: true,
    content: [field(reason.id, t('oa.cancel_sub_reason'), reason), field(comments.id, t('oa.comments'), comments)],
    request: () => {
      if (!reason.value.trim()) throw new Invalid(t('oa.reason_needed'));
      return { action: 'cancel_subscription', subscription_id: sub.id, reason: reason.value.trim(),
        ...(comments.value.trim() ? { comments: comments.value.trim() } : {}) };
    },
  });
}
