// Settings: the skills section (each skill's state and what it misses, the order skill's settings, and
// a preview of its answer that stores and sends nothing). The shell and builders are in settings.js.
import { api } from './api.js';
import { h, replace } from './dom.js';
import { t, addStrings } from './i18n.js';
import { field, checkbox, select, errorBox, attempt, settingsForm } from './settings.js';

addStrings({
  en: {
    'skills.title': 'Skills', 'skills.order_editing': 'Order editing', 'skills.status': 'Status', 'skills.missing': 'Missing',
    'skills.Live': 'Live', 'skills.Unavailable': 'Unavailable',
    'missing.helpdesk_plan': 'the helpdesk plan', 'missing.skill_enabled': 'the skill is turned off',
    'missing.shopify': 'a connected Shopify store', 'missing.customer_hub': 'a customer hub URL',
    'missing.order_edit_policy': 'an order-edit policy in the knowledge base', 'missing.order_cancel_policy': 'an order-cancellation policy in the knowledge base',
    'skills.setup': 'Order skill settings', 'skills.enabled': 'The order skill answers customers',
    'skills.hub_url': 'Customer hub order page (https; may hold {order_id} and {order_number})',
    'skills.handoff_message': 'What the skill tells a customer it hands over to a person (empty: its own words, in the customer\'s language)',
    'skills.handoff_team': 'Team a handoff goes to',
    'skills.preview': 'Try the order skill', 'skills.preview_help': 'See what the skill would answer; nothing is stored or sent.',
    'skills.preview_only_admin': 'Only an owner or admin previews a skill.',
    'skills.message': 'Customer message', 'skills.channel': 'Channel', 'skills.customer_email': 'As the customer with this email (empty: a customer who is not signed in)',
    'skills.run': 'Preview answer', 'skills.running': 'Asking the skill…', 'skills.intent': 'Intent', 'skills.action': 'Action',
    'skills.text': 'Answer', 'skills.order': 'Order', 'skills.link': 'Link', 'skills.card': 'Order card', 'skills.no_text': '(no answer)',
  },
  ko: {
    'skills.title': '스킬', 'skills.order_editing': '주문 수정', 'skills.status': '상태', 'skills.missing': '부족한 것',
    'skills.Live': '사용 중', 'skills.Unavailable': '사용 불가',
    'missing.helpdesk_plan': '헬프데스크 요금제', 'missing.skill_enabled': '스킬이 꺼져 있음',
    'missing.shopify': '연결된 Shopify 스토어', 'missing.customer_hub': '고객 허브 URL',
    'missing.order_edit_policy': '지식 베이스의 주문 수정 정책', 'missing.order_cancel_policy': '지식 베이스의 주문 취소 정책',
    'skills.setup': '주문 스킬 설정', 'skills.enabled': '주문 스킬이 고객에게 답함',
    'skills.hub_url': '고객 허브 주문 페이지 (https, {order_id}와 {order_number} 사용 가능)',
    'skills.handoff_message': '스킬이 사람에게 넘길 때 고객에게 하는 말 (비우면: 고객의 언어로 된 기본 문구)',
    'skills.handoff_team': '넘길 팀',
    'skills.preview': '주문 스킬 시험하기', 'skills.preview_help': '스킬이 어떻게 답할지 봅니다. 아무것도 저장하거나 보내지 않습니다.',
    'skills.preview_only_admin': '스킬 미리 보기는 소유자나 관리자만 할 수 있습니다.',
    'skills.message': '고객 메시지', 'skills.channel': '채널', 'skills.customer_email': '이 이메일의 고객으로 (비우면: 로그인하지 않은 고객)',
    'skills.run': '답 미리 보기', 'skills.running': '스킬에 묻는 중…', 'skills.intent': '의도', 'skills.action': '동작',
    'skills.text': '답변', 'skills.order': '주문', 'skills.link': '링크', 'skills.card': '주문 카드', 'skills.no_text': '(답변 없음)',
  },
});

export const SCREENS = {
  async skills(ctx) {
    const [skills, settings, teams] = await Promise.all([api('/api/skills'), api('/api/settings'), api('/api/teams').catch(() => ({ items: [] }))]);
    const state = { settings };
    const sk = settings.skills || {};
    const table = h('table', { class: 'data', id: 'skills-table' },
      h('caption', { class: 'sr-only' }, t('skills.title')),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('skills.title')), h('th', { scope: 'col' }, t('skills.status')), h('th', { scope: 'col' }, t('skills.missing')))),
      h('tbody', {}, (skills.items || []).map((skill) => h('tr', { 'data-skill': skill.name },
        h('td', {}, t(`skills.${skill.name}`)),
        h('td', {}, h('span', { class: `chip skill-status skill-${skill.status.toLowerCase()}`, id: `skill-status-${skill.name}` }, t(`skills.${skill.status}`))),
        h('td', {}, skill.missing?.length ? h('ul', { class: 'plain-list' }, skill.missing.map((m) => h('li', { 'data-missing': m }, t(`missing.${m}`)))) : '—')))));
    const enabled = checkbox('skill-order-editing-enabled', t('skills.enabled'), sk.order_editing?.enabled);
    const hub = h('input', { type: 'url', id: 'skill-hub-url', value: sk.customer_hub_url || '', spellcheck: 'false', size: 50 });
    const message = h('textarea', { id: 'skill-handoff-message', rows: 2, maxlength: 1000 }, sk.handoff_message || '');
    const team = h('input', { type: 'text', id: 'skill-handoff-team', value: sk.handoff_team || '', list: 'skill-teams', maxlength: 100 });
    const form = settingsForm(state, [
      enabled.el, field('skill-hub-url', t('skills.hub_url'), hub), field('skill-handoff-message', t('skills.handoff_message'), message),
      field('skill-handoff-team', t('skills.handoff_team'), team),
      h('datalist', { id: 'skill-teams' }, (teams.items || []).map((x) => h('option', { value: x.name }))),
    ], () => ({
      skills: { order_editing: { enabled: enabled.input.checked }, customer_hub_url: hub.value.trim(), handoff_message: message.value, handoff_team: team.value },
    }));
    return [
      h('section', { 'aria-labelledby': 'skills-h' }, h('h2', { id: 'skills-h' }, t('skills.title')), table),
      h('section', { 'aria-labelledby': 'skills-setup-h' }, h('h2', { id: 'skills-setup-h' }, t('skills.setup')), form),
      previewSection(ctx),
    ];
  },
};

function previewSection(ctx) {
  const message = h('textarea', { id: 'skill-preview-message', rows: 3, maxlength: 5000, required: true });
  const channel = select('skill-preview-channel', ['webchat', 'sms', 'whatsapp', 'email'].map((c) => [c, t(`channel.${c}`)]), 'webchat');
  const email = h('input', { type: 'email', id: 'skill-preview-email', autocomplete: 'off' });
  const result = h('div', { id: 'skill-preview-result', 'aria-live': 'polite' });
  const error = errorBox('skill-preview-error');
  const run = h('button', { type: 'submit', class: 'primary', id: 'skill-preview-run' }, t('skills.run'));
  const form = h('form', { id: 'skill-preview-form', novalidate: true },
    h('p', { class: 'muted' }, t('skills.preview_help')),
    ctx.canAdmin() ? null : h('p', { class: 'readonly-note' }, t('skills.preview_only_admin')),
    field('skill-preview-message', t('skills.message'), message), field('skill-preview-channel', t('skills.channel'), channel),
    field('skill-preview-email', t('skills.customer_email'), email), error, h('div', { class: 'form-actions' }, run), result);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(result, h('p', { class: 'muted' }, t('skills.running')));
    const body = { message: message.value, channel: channel.value, ...(email.value.trim() ? { customer_email: email.value.trim() } : {}) };
    const decision = await attempt(run, error, () => api('/api/skills/order_editing/preview', { method: 'POST', body }));
    replace(result, decision ? decisionView(decision) : null);
  });
  return h('section', { 'aria-labelledby': 'skill-preview-h' }, h('h2', { id: 'skill-preview-h' }, t('skills.preview')), form);
}

function decisionView(d) {
  const safe = (url) => (/^https?:\/\//i.test(url || '') ? url : null);
  const link = (url, text) => (safe(url) ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, text || url) : text || url);
  const card = d.card;
  return h('div', { class: 'decision' },
    h('dl', { class: 'pairs' },
      h('dt', {}, t('skills.intent')), h('dd', { id: 'skill-preview-intent' }, h('code', {}, d.intent)),
      h('dt', {}, t('skills.action')), h('dd', { id: 'skill-preview-action' }, h('code', {}, d.action)),
      d.order ? [h('dt', {}, t('skills.order')), h('dd', { id: 'skill-preview-order' }, `${d.order.name} · ${d.order.state}`)] : null,
      d.link ? [h('dt', {}, t('skills.link')), h('dd', {}, link(d.link))] : null),
    h('div', { class: 'preview', id: 'skill-preview-text', lang: /[\uac00-\ud7a3]/.test(d.text || '') ? 'ko' : 'en' }, d.text || t('skills.no_text')),
    card ? h('div', { class: 'card', id: 'skill-preview-card', 'aria-label': t('skills.card') },
      h('strong', {}, card.order?.name || ''), card.order?.state ? h('span', { class: 'muted' }, ` · ${card.order.state}`) : null,
      h('ul', {}, (card.lines || []).map((line) => h('li', {}, `${line.name} × ${line.quantity} `,
        (line.actions || []).map((a) => h('span', { class: 'chip' }, link(a.url, a.label)))))),
      h('div', { class: 'card-actions' }, (card.actions || []).map((a) => h('span', { class: 'chip' }, link(a.url, a.label))))) : null);
}
