// Settings: the account's own sections (general, channels, office hours, plan), each a form over
// GET /api/settings that PATCHes only what changed. The shell and builders are in settings.js.
import { api } from './api.js';
import { h, replace, focus } from './dom.js';
import { t, addStrings } from './i18n.js';
import { field, checkbox, select, errorBox, needsPlan, attempt, confirmDialog, durationField, settingsForm } from './settings.js';

addStrings({
  en: {
    // general
    'general.plan': 'Plan', 'plan.inbox': 'Inbox (free: web chat, one agent)', 'plan.helpdesk': 'Helpdesk (paid)',
    'general.auto_close': 'Auto-close', 'general.auto_close_enabled': 'Close open tickets when the customer goes quiet',
    'general.auto_close_after': 'After (ISO 8601 duration, e.g. P3D for 3 days, PT12H for 12 hours)',
    'general.unread': 'Unread badge', 'general.unread_badge': 'Show agents how many of their open tickets have unread customer messages',
    // channels
    'channels.addresses': 'Channels and addresses', 'channels.channel': 'Channel', 'channels.address': 'Address',
    'channels.no_addresses': 'The helpdesk does not list this account\'s inbound addresses here yet; they are set when a channel is connected. The email address replies come from is below.',
    'channels.email': 'Email', 'channels.support_email': 'Support email (web chat follow-ups and email replies come from it)',
    'channels.sms': 'SMS', 'channels.sms_auto_enabled': 'Send an autoresponder to a new SMS conversation',
    'channels.sms_auto_text': 'SMS autoresponder text', 'channels.help_text': 'Reply to HELP (required by carriers)',
    'channels.notify': 'Team notifications: email these addresses about each new SMS (one per line)',
    'channels.shorten': 'Shorten links in outbound SMS (and count the clicks)',
    'channels.sms_window': 'Attribution window: an SMS reply counts for a campaign sent within (ISO 8601 duration)',
    'channels.webchat': 'Web chat', 'channels.webchat_open': 'Autoresponder during office hours',
    'channels.webchat_closed': 'Autoresponder outside office hours',
    'channels.instagram': 'Instagram', 'channels.human_agent': 'Use the HUMAN_AGENT tag: a person may answer up to 7 days after the customer\'s last message (needs Meta\'s approval of the app)',
    // office hours
    'hours.title': 'Office hours', 'hours.always': 'No office hours: the team is always in',
    'hours.timezone': 'Time zone', 'hours.weekly': 'Weekly hours', 'hours.closed': 'Closed',
    'hours.opens': 'Opens', 'hours.closes': 'Closes', 'hours.add_span': 'Add hours', 'hours.remove_span': 'Remove these hours',
    'hours.holidays': 'Holidays (closed all day)', 'hours.add_holiday': 'Add holiday', 'hours.new_holiday': 'New holiday',
    'hours.remove_holiday': 'Remove {date}', 'hours.no_holidays': 'No holidays.',
    'day.mon': 'Monday', 'day.tue': 'Tuesday', 'day.wed': 'Wednesday', 'day.thu': 'Thursday', 'day.fri': 'Friday', 'day.sat': 'Saturday', 'day.sun': 'Sunday',
    // plan
    'plan.title': 'Plan', 'plan.current': 'This account is on the {plan} plan.', 'plan.feature': 'Feature',
    'plan.adds': 'What the helpdesk plan adds',
    'plan.switch_to': 'Switch to the {plan} plan', 'plan.switched': 'The account is now on the {plan} plan.',
    'plan.confirm': 'Switch this account to the {plan} plan? Nothing is deleted: what a plan lacks is kept and comes back on upgrade.',
    'feature.webchat': 'Web chat', 'feature.one_agent': 'One agent',
    'feature.macros': 'Macros', 'feature.multi_agent': 'More than one agent', 'feature.channels': 'SMS, WhatsApp, Instagram and email',
    'feature.autoresponders': 'Autoresponders', 'feature.profile_details': 'The customer\'s profile, orders and subscriptions beside the conversation',
    'feature.spam_filtering': 'Spam filtering',
  },
  ko: {
    'general.plan': '요금제', 'plan.inbox': '인박스 (무료: 웹 채팅, 상담원 1명)', 'plan.helpdesk': '헬프데스크 (유료)',
    'general.auto_close': '자동 종료', 'general.auto_close_enabled': '고객의 응답이 없으면 열린 티켓을 종료',
    'general.auto_close_after': '기간 (ISO 8601 기간, 예: 3일은 P3D, 12시간은 PT12H)',
    'general.unread': '읽지 않음 배지', 'general.unread_badge': '상담원에게 읽지 않은 고객 메시지가 있는 열린 티켓 수를 표시',
    'channels.addresses': '채널과 주소', 'channels.channel': '채널', 'channels.address': '주소',
    'channels.no_addresses': '이 계정의 수신 주소는 아직 여기에 표시되지 않습니다. 채널을 연결할 때 설정됩니다. 답장을 보내는 이메일 주소는 아래에 있습니다.',
    'channels.email': '이메일', 'channels.support_email': '지원 이메일 (웹 채팅 후속 메일과 이메일 답장의 발신 주소)',
    'channels.sms': 'SMS', 'channels.sms_auto_enabled': '새 SMS 대화에 자동 응답 보내기',
    'channels.sms_auto_text': 'SMS 자동 응답 문구', 'channels.help_text': 'HELP에 대한 답장 (통신사 요구 사항)',
    'channels.notify': '팀 알림: 새 SMS마다 이 주소로 이메일 보내기 (한 줄에 하나)',
    'channels.shorten': '발신 SMS의 링크 줄이기 (클릭 수 집계)',
    'channels.sms_window': '기여 기간: 이 기간 안에 보낸 캠페인에 SMS 답장을 기여 (ISO 8601 기간)',
    'channels.webchat': '웹 채팅', 'channels.webchat_open': '운영 시간 중 자동 응답',
    'channels.webchat_closed': '운영 시간 외 자동 응답',
    'channels.instagram': 'Instagram', 'channels.human_agent': 'HUMAN_AGENT 태그 사용: 고객의 마지막 메시지 후 7일까지 사람이 답할 수 있음 (Meta의 앱 승인 필요)',
    'hours.title': '운영 시간', 'hours.always': '운영 시간 없음: 팀이 항상 근무 중',
    'hours.timezone': '시간대', 'hours.weekly': '주간 운영 시간', 'hours.closed': '휴무',
    'hours.opens': '시작', 'hours.closes': '종료', 'hours.add_span': '시간 추가', 'hours.remove_span': '이 시간 제거',
    'hours.holidays': '휴일 (종일 휴무)', 'hours.add_holiday': '휴일 추가', 'hours.new_holiday': '새 휴일',
    'hours.remove_holiday': '{date} 제거', 'hours.no_holidays': '휴일이 없습니다.',
    'day.mon': '월요일', 'day.tue': '화요일', 'day.wed': '수요일', 'day.thu': '목요일', 'day.fri': '금요일', 'day.sat': '토요일', 'day.sun': '일요일',
    'plan.title': '요금제', 'plan.current': '이 계정은 {plan} 요금제입니다.', 'plan.feature': '기능',
    'plan.adds': '헬프데스크 요금제에 더해지는 것',
    'plan.switch_to': '{plan} 요금제로 바꾸기', 'plan.switched': '이제 {plan} 요금제입니다.',
    'plan.confirm': '이 계정을 {plan} 요금제로 바꿀까요? 아무것도 삭제되지 않습니다. 요금제에 없는 것은 보관되었다가 업그레이드하면 돌아옵니다.',
    'feature.webchat': '웹 채팅', 'feature.one_agent': '상담원 1명',
    'feature.macros': '매크로', 'feature.multi_agent': '상담원 여러 명', 'feature.channels': 'SMS, WhatsApp, Instagram, 이메일',
    'feature.autoresponders': '자동 응답', 'feature.profile_details': '대화 옆의 고객 프로필, 주문, 구독',
    'feature.spam_filtering': '스팸 필터링',
  },
});

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const FEATURES = ['channels', 'multi_agent', 'macros', 'autoresponders', 'profile_details', 'spam_filtering'];

export const SCREENS = {
  async general() {
    const state = { settings: await api('/api/settings') };
    const s = state.settings;
    const plan = select('settings-plan', [['inbox', t('plan.inbox')], ['helpdesk', t('plan.helpdesk')]], s.plan);
    const enabled = checkbox('settings-auto-close-enabled', t('general.auto_close_enabled'), s.auto_close?.enabled);
    const after = durationField('settings-auto-close-after', t('general.auto_close_after'), s.auto_close?.after);
    const badge = checkbox('settings-unread-badge', t('general.unread_badge'), s.unread_badge);
    return settingsForm(state, [
      h('section', { 'aria-labelledby': 'general-plan-h' }, h('h2', { id: 'general-plan-h' }, t('general.plan')),
        field('settings-plan', t('general.plan'), plan)),
      h('section', { 'aria-labelledby': 'general-close-h' }, h('h2', { id: 'general-close-h' }, t('general.auto_close')),
        enabled.el, after),
      h('section', { 'aria-labelledby': 'general-unread-h' }, h('h2', { id: 'general-unread-h' }, t('general.unread')), badge.el),
    ], () => ({
      plan: plan.value,
      auto_close: { enabled: enabled.input.checked, after: after.querySelector('input').value.trim() },
      unread_badge: badge.input.checked,
    }));
  },

  async channels() {
    const state = { settings: await api('/api/settings') };
    const s = state.settings;
    const supportEmail = h('input', { type: 'email', id: 'settings-support-email', value: s.support_email || '', autocomplete: 'off' });
    const smsAuto = checkbox('settings-sms-autoresponder-enabled', t('channels.sms_auto_enabled'), s.sms?.autoresponder?.enabled);
    const smsText = h('textarea', { id: 'settings-sms-autoresponder-text', rows: 2, maxlength: 1000 }, s.sms?.autoresponder?.text || '');
    const helpText = h('textarea', { id: 'settings-help-text', rows: 2, maxlength: 1000 }, s.help_text || '');
    const notify = h('textarea', { id: 'settings-sms-notify-emails', rows: 3, spellcheck: 'false' }, (s.sms?.notify_emails || []).join('\n'));
    const shorten = checkbox('settings-sms-shorten-links', t('channels.shorten'), s.sms?.shorten_links);
    const window = durationField('settings-sms-window', t('channels.sms_window'), s.attribution?.sms_window);
    const open = h('textarea', { id: 'settings-webchat-open', rows: 2, maxlength: 1000 }, s.webchat?.autoresponder?.open || '');
    const closed = h('textarea', { id: 'settings-webchat-closed', rows: 2, maxlength: 1000 }, s.webchat?.autoresponder?.closed || '');
    const humanAgent = checkbox('settings-instagram-human-agent-tag', t('channels.human_agent'), s.instagram?.human_agent_tag);
    return settingsForm(state, [
      addressesSection(s),
      h('section', { 'aria-labelledby': 'ch-email-h' }, h('h2', { id: 'ch-email-h' }, t('channels.email')),
        field('settings-support-email', t('channels.support_email'), supportEmail)),
      h('section', { 'aria-labelledby': 'ch-sms-h' }, h('h2', { id: 'ch-sms-h' }, t('channels.sms')),
        needsPlan(s, 'channels'), needsPlan(s, 'autoresponders'),
        smsAuto.el, field('settings-sms-autoresponder-text', t('channels.sms_auto_text'), smsText),
        field('settings-help-text', t('channels.help_text'), helpText),
        field('settings-sms-notify-emails', t('channels.notify'), notify), shorten.el, window),
      h('section', { 'aria-labelledby': 'ch-webchat-h' }, h('h2', { id: 'ch-webchat-h' }, t('channels.webchat')),
        field('settings-webchat-open', t('channels.webchat_open'), open),
        field('settings-webchat-closed', t('channels.webchat_closed'), closed)),
      h('section', { 'aria-labelledby': 'ch-ig-h' }, h('h2', { id: 'ch-ig-h' }, t('channels.instagram')),
        needsPlan(s, 'channels'), humanAgent.el),
    ], () => {
      const wanted = {
        sms: {
          autoresponder: { enabled: smsAuto.input.checked, text: smsText.value },
          notify_emails: notify.value.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean),
          shorten_links: shorten.input.checked,
        },
        attribution: { sms_window: window.querySelector('input').value.trim() },
        webchat: { autoresponder: { open: open.value, closed: closed.value } },
        instagram: { human_agent_tag: humanAgent.input.checked },
        help_text: helpText.value,
      };
      // An address left empty where the account had none is no change (the API refuses an empty one).
      if (supportEmail.value.trim() || s.support_email) wanted.support_email = supportEmail.value.trim();
      if (JSON.stringify([...wanted.sms.notify_emails].sort()) === JSON.stringify(s.sms?.notify_emails || [])) {
        wanted.sms.notify_emails = s.sms?.notify_emails || [];
      }
      return wanted;
    });
  },

  async 'office-hours'() {
    const state = { settings: await api('/api/settings') };
    const hours = state.settings.office_hours;
    const always = checkbox('office-always-open', t('hours.always'), !hours);
    const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    const timezone = h('input', {
      type: 'text', id: 'office-timezone', list: 'office-timezones', autocomplete: 'off', spellcheck: 'false',
      value: hours?.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
    });
    const weekly = structuredClone(hours?.weekly || {});
    const holidays = [...(hours?.holidays || [])];
    const daysEl = h('div', { class: 'office-days' });
    const holidaysEl = h('div', { class: 'office-holidays' });

    const drawDays = () => replace(daysEl, h('table', { class: 'data office-week' },
      h('caption', { class: 'sr-only' }, t('hours.weekly')),
      h('tbody', {}, DAYS.map((day) => {
        const spans = weekly[day] || [];
        return h('tr', { id: `office-${day}` },
          h('th', { scope: 'row' }, t(`day.${day}`)),
          h('td', {}, spans.length ? null : h('span', { class: 'muted' }, t('hours.closed')),
            spans.map((span, i) => h('div', { class: 'office-span' },
              h('label', { for: `office-${day}-${i}-open`, class: 'sr-only' }, `${t(`day.${day}`)} ${t('hours.opens')}`),
              h('input', { type: 'time', id: `office-${day}-${i}-open`, value: span[0], oninput: (e) => { span[0] = e.target.value; } }),
              h('span', { 'aria-hidden': 'true' }, ' – '),
              h('label', { for: `office-${day}-${i}-close`, class: 'sr-only' }, `${t(`day.${day}`)} ${t('hours.closes')}`),
              h('input', { type: 'time', id: `office-${day}-${i}-close`, value: span[1], oninput: (e) => { span[1] = e.target.value; } }),
              h('button', { type: 'button', class: 'link', 'aria-label': `${t(`day.${day}`)}: ${t('hours.remove_span')}`,
                onclick: () => { spans.splice(i, 1); if (!spans.length) delete weekly[day]; drawDays(); } }, t('settings.remove'))))),
          h('td', {}, h('button', { type: 'button', id: `office-${day}-add`, 'aria-label': `${t(`day.${day}`)}: ${t('hours.add_span')}`,
            onclick: () => { (weekly[day] ||= []).push(spans.length ? [spans[spans.length - 1][1], '18:00'] : ['09:00', '18:00']); drawDays(); focus(document.getElementById(`office-${day}-${weekly[day].length - 1}-open`)); } },
          t('hours.add_span'))));
      }))));
    const newHoliday = h('input', { type: 'date', id: 'office-holiday-new' });
    const drawHolidays = () => replace(holidaysEl,
      holidays.length ? h('ul', { class: 'plain-list', id: 'office-holidays' }, holidays.map((day, i) => h('li', {},
        h('span', {}, day), ' ',
        h('button', { type: 'button', class: 'link', 'aria-label': t('hours.remove_holiday', { date: day }),
          onclick: () => { holidays.splice(i, 1); drawHolidays(); } }, t('settings.remove')))))
        : h('p', { class: 'muted' }, t('hours.no_holidays')));
    drawDays();
    drawHolidays();
    const detail = h('div', { class: 'office-detail', hidden: !!always.input.checked || null },
      field('office-timezone', t('hours.timezone'), timezone),
      h('datalist', { id: 'office-timezones' }, zones.map((z) => h('option', { value: z }))),
      h('h3', {}, t('hours.weekly')), daysEl,
      h('h3', {}, t('hours.holidays')), holidaysEl,
      h('div', { class: 'field inline' }, h('label', { for: 'office-holiday-new' }, t('hours.new_holiday')), newHoliday,
        h('button', { type: 'button', id: 'office-holiday-add', onclick: () => {
          if (newHoliday.value && !holidays.includes(newHoliday.value)) { holidays.push(newHoliday.value); holidays.sort(); drawHolidays(); }
          newHoliday.value = '';
        } }, t('hours.add_holiday'))));
    always.input.addEventListener('change', () => { detail.hidden = always.input.checked; });
    return settingsForm(state, [h('section', { 'aria-labelledby': 'office-h' }, h('h2', { id: 'office-h' }, t('hours.title')), always.el, detail)],
      () => ({
        office_hours: always.input.checked ? null : {
          timezone: timezone.value.trim(),
          weekly: Object.fromEntries(DAYS.filter((d) => weekly[d]?.length).map((d) => [d, weekly[d].map((s) => [s[0], s[1]])])),
          holidays: [...holidays],
        },
      }));
  },

  async plan() {
    const state = { settings: await api('/api/settings') };
    const error = errorBox('plan-error');
    const body = h('div', { id: 'plan-body' });
    const draw = () => {
      const { plan, features = [] } = state.settings;
      const other = plan === 'helpdesk' ? 'inbox' : 'helpdesk';
      const yes = (on) => h('td', { class: on ? 'yes' : 'no' }, h('span', { 'aria-hidden': 'true' }, on ? '✓ ' : '— '), on ? t('settings.yes') : t('settings.no'));
      const switchButton = h('button', { type: 'button', id: 'plan-switch', class: other === 'helpdesk' ? 'primary' : null, onclick: async () => {
        if (!(await confirmDialog(t('plan.confirm', { plan: t(`plan.name.${other}`) })))) return;
        const saved = await attempt(switchButton, error, () => api('/api/settings', { method: 'PATCH', body: { plan: other } }),
          t('plan.switched', { plan: t(`plan.name.${other}`) }));
        if (saved) { state.settings = saved; draw(); }
      } }, t('plan.switch_to', { plan: t(`plan.name.${other}`) }));
      replace(body,
        h('p', { id: 'plan-current', 'data-plan': plan }, t('plan.current', { plan: t(`plan.name.${plan}`) })),
        h('table', { class: 'data', id: 'plan-table' },
          h('caption', {}, t('plan.adds')),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('plan.feature')), h('th', { scope: 'col' }, t('plan.name.inbox')), h('th', { scope: 'col' }, t('plan.name.helpdesk')))),
          h('tbody', {},
            h('tr', {}, h('th', { scope: 'row' }, t('feature.webchat')), yes(true), yes(true)),
            FEATURES.map((f) => h('tr', { 'data-feature': f, class: features.includes(f) ? 'has' : null },
              h('th', { scope: 'row' }, t(`feature.${f}`)), yes(false), yes(true))))),
        error, h('div', { class: 'form-actions' }, switchButton));
    };
    draw();
    return h('section', { 'aria-labelledby': 'plan-h' }, h('h2', { id: 'plan-h' }, t('plan.title')), body);
  },
};

function addressesSection(settings) {
  // GET /api/settings does not list the account's inbound addresses today; shown when it does
  // (`channels`: [{channel, address, display_address?}] or {channel: address}).
  const raw = settings.channels;
  const rows = Array.isArray(raw) ? raw
    : raw && typeof raw === 'object' ? Object.entries(raw).flatMap(([channel, v]) => (Array.isArray(v) ? v : [v]).map((a) => ({ channel, address: a })))
      : [];
  const text = (row) => {
    const a = row.display_address || row.address || row;
    return typeof a === 'string' ? a : a.display_phone_number || a.account_id || a.phone_number_id || JSON.stringify(a);
  };
  return h('section', { 'aria-labelledby': 'ch-addr-h', id: 'channel-addresses' }, h('h2', { id: 'ch-addr-h' }, t('channels.addresses')),
    rows.length ? h('table', { class: 'data' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('channels.channel')), h('th', { scope: 'col' }, t('channels.address')))),
      h('tbody', {}, rows.map((r) => h('tr', { 'data-channel': r.channel },
        h('td', {}, t(`channel.${r.channel}`)), h('td', {}, text(r))))))
      : h('p', { class: 'muted' }, t('channels.no_addresses')));
}
