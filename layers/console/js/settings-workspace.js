// Settings: the workspace's sections (macros, teams and routing rules, skills with their preview,
// agents). The shell and builders are in settings.js.
import { api } from './api.js';
import { h, replace, announce, focus } from './dom.js';
import { t, addStrings, when } from './i18n.js';
import { field, checkbox, select, errorBox, needsPlan, attempt, confirmDialog, changes, settingsForm, readOnly } from './settings.js';

addStrings({
  en: {
    // macros
    'macros.title': 'Macros', 'macros.name': 'Name', 'macros.body': 'Text', 'macros.variables': 'Variables',
    'macros.new': 'New macro', 'macros.editing': 'Edit macro “{name}”', 'macros.save': 'Save macro', 'macros.saved': 'Macro saved.',
    'macros.deleted': 'Macro deleted.', 'macros.confirm_delete': 'Delete the macro “{name}”? Agents can no longer use it.',
    'macros.insert': 'Insert a variable', 'macros.preview': 'Preview (with example values)',
    'macros.actions': 'Actions',
    // teams and routing
    'teams.title': 'Teams', 'teams.name': 'Team name', 'teams.members': 'Members', 'teams.new': 'New team',
    'teams.editing': 'Edit team “{name}”', 'teams.save': 'Save team', 'teams.saved': 'Team saved.', 'teams.deleted': 'Team deleted.',
    'teams.confirm_delete': 'Delete the team “{name}”?', 'teams.no_members': 'No members',
    'routing.title': 'Routing rules', 'routing.help': 'A new or reopened ticket goes to the team of the first rule whose every condition holds; round robin then picks one of that team\'s online members. No rule matching: everyone online.',
    'routing.rule': 'Rule {n}', 'routing.tags': 'Has any of these tags (comma-separated)',
    'routing.segments': 'Customer in any of these segments (comma-separated)', 'routing.channels': 'Channel is one of',
    'routing.languages': 'Language is one of', 'routing.office': 'Office hours', 'routing.office_any': 'Any time',
    'routing.office_open': 'Open', 'routing.office_closed': 'Closed', 'routing.team': 'Send to team',
    'routing.priority': 'Priority', 'routing.priority_none': 'Leave as is', 'priority.low': 'Low', 'priority.normal': 'Normal',
    'priority.high': 'High', 'priority.urgent': 'Urgent', 'lang.en': 'English', 'lang.ko': 'Korean',
    'routing.up': 'Move rule {n} up', 'routing.down': 'Move rule {n} down', 'routing.remove': 'Remove rule {n}',
    'routing.add': 'Add rule', 'routing.save': 'Save rules', 'routing.saved': 'Routing rules saved.',
    'routing.no_rules': 'No rules: every ticket goes to round robin over everyone online.',
    'routing.needs_team': 'Create a team first: a rule sends tickets to a team.',
    'routing.always': 'Always (no conditions)',
    // skills
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
    // agents
    'agents.title': 'Agents', 'agents.name': 'Name', 'agents.email': 'Email', 'agents.role': 'Role', 'agents.status': 'Presence',
    'agents.active': 'Active', 'agents.capacity': 'Capacity', 'agents.capacity_hint': 'Most open tickets from round robin (empty: no limit)',
    'agents.actions': 'Actions', 'agents.save': 'Save', 'agents.saved': '{name} saved.', 'agents.deactivate': 'Deactivate',
    'agents.reactivate': 'Reactivate', 'agents.deactivated': '{name} deactivated.', 'agents.reactivated': '{name} reactivated.',
    'agents.confirm_deactivate': 'Deactivate {name}? They can no longer sign in and get no new tickets.',
    'agents.invite': 'Invite an agent', 'agents.invite_email': 'Email', 'agents.invite_name': 'Name (optional)',
    'agents.invite_role': 'Role', 'agents.invite_send': 'Send invitation', 'agents.invited': '{email} is invited: they get an email with a temporary password.',
    'agents.you': '(you)', 'agents.inactive': 'Deactivated', 'agents.online': 'Online', 'agents.offline': 'Offline',
  },
  ko: {
    'macros.title': '매크로', 'macros.name': '이름', 'macros.body': '내용', 'macros.variables': '변수',
    'macros.new': '새 매크로', 'macros.editing': '매크로 “{name}” 편집', 'macros.save': '매크로 저장', 'macros.saved': '매크로를 저장했습니다.',
    'macros.deleted': '매크로를 삭제했습니다.', 'macros.confirm_delete': '매크로 “{name}”을(를) 삭제할까요? 상담원이 더 이상 사용할 수 없습니다.',
    'macros.insert': '변수 넣기', 'macros.preview': '미리 보기 (예시 값)',
    'macros.actions': '작업',
    'teams.title': '팀', 'teams.name': '팀 이름', 'teams.members': '구성원', 'teams.new': '새 팀',
    'teams.editing': '팀 “{name}” 편집', 'teams.save': '팀 저장', 'teams.saved': '팀을 저장했습니다.', 'teams.deleted': '팀을 삭제했습니다.',
    'teams.confirm_delete': '팀 “{name}”을(를) 삭제할까요?', 'teams.no_members': '구성원 없음',
    'routing.title': '라우팅 규칙', 'routing.help': '새 티켓이나 다시 열린 티켓은 모든 조건이 맞는 첫 번째 규칙의 팀으로 갑니다. 그 팀의 온라인 구성원 중 한 명에게 순환 배정됩니다. 맞는 규칙이 없으면 온라인인 모두에게 배정됩니다.',
    'routing.rule': '규칙 {n}', 'routing.tags': '다음 태그 중 하나가 있음 (쉼표로 구분)',
    'routing.segments': '고객이 다음 세그먼트 중 하나에 속함 (쉼표로 구분)', 'routing.channels': '채널',
    'routing.languages': '언어', 'routing.office': '운영 시간', 'routing.office_any': '언제나',
    'routing.office_open': '운영 중', 'routing.office_closed': '운영 외', 'routing.team': '보낼 팀',
    'routing.priority': '우선순위', 'routing.priority_none': '그대로 두기', 'priority.low': '낮음', 'priority.normal': '보통',
    'priority.high': '높음', 'priority.urgent': '긴급', 'lang.en': '영어', 'lang.ko': '한국어',
    'routing.up': '규칙 {n} 위로', 'routing.down': '규칙 {n} 아래로', 'routing.remove': '규칙 {n} 제거',
    'routing.add': '규칙 추가', 'routing.save': '규칙 저장', 'routing.saved': '라우팅 규칙을 저장했습니다.',
    'routing.no_rules': '규칙이 없습니다: 모든 티켓이 온라인인 모두에게 순환 배정됩니다.',
    'routing.needs_team': '먼저 팀을 만드세요: 규칙은 티켓을 팀으로 보냅니다.',
    'routing.always': '항상 (조건 없음)',
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
    'agents.title': '상담원', 'agents.name': '이름', 'agents.email': '이메일', 'agents.role': '역할', 'agents.status': '상태',
    'agents.active': '활성', 'agents.capacity': '최대 배정', 'agents.capacity_hint': '순환 배정으로 받는 열린 티켓의 최대 수 (비우면: 제한 없음)',
    'agents.actions': '작업', 'agents.save': '저장', 'agents.saved': '{name}을(를) 저장했습니다.', 'agents.deactivate': '비활성화',
    'agents.reactivate': '다시 활성화', 'agents.deactivated': '{name}을(를) 비활성화했습니다.', 'agents.reactivated': '{name}을(를) 다시 활성화했습니다.',
    'agents.confirm_deactivate': '{name}을(를) 비활성화할까요? 더 이상 로그인할 수 없고 새 티켓도 받지 않습니다.',
    'agents.invite': '상담원 초대', 'agents.invite_email': '이메일', 'agents.invite_name': '이름 (선택)',
    'agents.invite_role': '역할', 'agents.invite_send': '초대 보내기', 'agents.invited': '{email}을(를) 초대했습니다. 임시 비밀번호가 담긴 이메일을 받습니다.',
    'agents.you': '(나)', 'agents.inactive': '비활성', 'agents.online': '온라인', 'agents.offline': '오프라인',
  },
});

const CHANNELS = ['sms', 'whatsapp', 'instagram', 'email', 'webchat'];
const ROLES = ['owner', 'admin', 'manager', 'support'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
// The variables a macro may hold (helpdesk/macros.py VARIABLES), with the example values its preview uses.
const MACRO_VARIABLES = {
  'customer.first_name': 'Jane', 'customer.last_name': 'Doe', 'ticket.id': 't1234567890', 'agent.first_name': 'Olivia', 'store.name': 'Demo Store',
};

export const SCREENS = {
  async macros(ctx) {
    const settings = await api('/api/settings').catch(() => null);
    const list = h('div', { id: 'macro-list' });
    const editor = h('div', { id: 'macro-editor' });
    let macros = [];
    let editing = null; // the macro being edited, or null for a new one

    const load = async () => {
      macros = (await api('/api/macros')).items || [];
      drawList();
    };
    const drawList = () => replace(list, macros.length ? h('table', { class: 'data', id: 'macro-table' },
      h('caption', { class: 'sr-only' }, t('macros.title')),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('macros.name')), h('th', { scope: 'col' }, t('macros.body')),
        h('th', { scope: 'col' }, t('macros.variables')), h('th', { scope: 'col' }, t('macros.actions')))),
      h('tbody', {}, macros.map((m) => h('tr', { 'data-macro-id': m.id },
        h('td', {}, m.name), h('td', { class: 'clip' }, m.body.length > 120 ? `${m.body.slice(0, 120)}…` : m.body),
        h('td', {}, (m.variables || []).map((v) => h('code', { class: 'chip' }, v))),
        h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'macro-edit', 'aria-label': `${t('settings.edit')}: ${m.name}`, onclick: () => { editing = m; drawEditor(); focus(document.getElementById('macro-name')); } }, t('settings.edit')),
          h('button', { type: 'button', class: 'danger macro-delete', 'aria-label': `${t('settings.delete')}: ${m.name}`, onclick: async (e) => {
            if (!(await confirmDialog(t('macros.confirm_delete', { name: m.name }), t('settings.delete')))) return;
            const done = await attempt(e.target, listError, () => api(`/api/macros/${encodeURIComponent(m.id)}`, { method: 'DELETE' }), t('macros.deleted'));
            if (done !== undefined) { if (editing?.id === m.id) { editing = null; drawEditor(); } await load(); }
          } }, t('settings.delete'))))))) : h('p', { class: 'muted' }, t('settings.none')));
    const listError = errorBox('macro-list-error');

    const drawEditor = () => {
      const name = h('input', { type: 'text', id: 'macro-name', maxlength: 100, value: editing?.name || '', required: true });
      const body = h('textarea', { id: 'macro-body', rows: 5, maxlength: 5000, required: true }, editing?.body || '');
      const preview = h('div', { class: 'preview', id: 'macro-preview', 'aria-live': 'polite' });
      const showPreview = () => {
        preview.textContent = body.value.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (all, v) => (v in MACRO_VARIABLES ? MACRO_VARIABLES[v] : all));
      };
      body.addEventListener('input', showPreview);
      showPreview();
      const insert = (v) => {
        const token = `{{${v}}}`;
        const start = body.selectionStart ?? body.value.length;
        const end = body.selectionEnd ?? body.value.length;
        body.value = body.value.slice(0, start) + token + body.value.slice(end);
        body.focus();
        body.setSelectionRange(start + token.length, start + token.length);
        showPreview();
      };
      const error = errorBox('macro-error');
      const save = h('button', { type: 'submit', class: 'primary', id: 'macro-save' }, t('macros.save'));
      const form = h('form', { id: 'macro-form', novalidate: true },
        field('macro-name', t('macros.name'), name),
        field('macro-body', t('macros.body'), body),
        h('div', { class: 'macro-vars', role: 'group', 'aria-label': t('macros.insert') },
          h('span', { class: 'muted' }, `${t('macros.insert')}: `),
          Object.keys(MACRO_VARIABLES).map((v) => h('button', { type: 'button', class: 'link macro-var', 'data-variable': v, onclick: () => insert(v) }, `{{${v}}}`))),
        h('div', { class: 'field' }, h('span', { class: 'label', id: 'macro-preview-label' }, t('macros.preview')), preview),
        error,
        h('div', { class: 'form-actions' }, save,
          editing ? h('button', { type: 'button', id: 'macro-cancel', onclick: () => { editing = null; drawEditor(); } }, t('settings.cancel')) : null));
      preview.setAttribute('aria-labelledby', 'macro-preview-label');
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const wanted = { name: name.value, body: body.value };
        const path = editing ? `/api/macros/${encodeURIComponent(editing.id)}` : '/api/macros';
        const sent = editing ? Object.fromEntries(Object.entries(wanted).filter(([k, v]) => v !== editing[k])) : wanted;
        if (editing && !Object.keys(sent).length) { announce(t('settings.unchanged')); return; }
        const saved = await attempt(save, error, () => api(path, { method: editing ? 'PATCH' : 'POST', body: sent }), t('macros.saved'));
        if (saved) { editing = null; drawEditor(); await load(); }
      });
      replace(editor, h('h2', { id: 'macro-editor-h' }, editing ? t('macros.editing', { name: editing.name }) : t('macros.new')), form);
      if (!ctx.canAdmin()) readOnly(editor);
    };

    await load();
    drawEditor();
    return [
      needsPlan(settings, 'macros'),
      h('section', { 'aria-labelledby': 'macro-list-h' }, h('h2', { id: 'macro-list-h' }, t('macros.title')), list, listError),
      h('section', { 'aria-labelledby': 'macro-editor-h' }, editor),
    ];
  },

  async teams(ctx) {
    const [teamsData, rulesData, agentsData] = await Promise.all([
      api('/api/teams'), api('/api/routing/rules'), api('/api/agents')]);
    let teams = teamsData.items || [];
    const agents = (agentsData.items || []).filter((a) => a.active !== false);
    const routing = { rules: structuredClone(rulesData.rules || []), version: rulesData.version };
    const teamList = h('div', { id: 'team-list' });
    const teamEditor = h('div', { id: 'team-editor' });
    const teamListError = errorBox('team-list-error');
    const rulesEl = h('div', { id: 'routing-rules' });
    let editing = null;
    const nameOf = (id) => agents.find((a) => a.id === id)?.name || ctx.agentName(id);

    const reloadTeams = async () => { teams = (await api('/api/teams')).items || []; drawTeams(); drawRules(); };
    const drawTeams = () => replace(teamList, teams.length ? h('table', { class: 'data', id: 'team-table' },
      h('caption', { class: 'sr-only' }, t('teams.title')),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('teams.name')), h('th', { scope: 'col' }, t('teams.members')), h('th', { scope: 'col' }, t('macros.actions')))),
      h('tbody', {}, teams.map((team) => h('tr', { 'data-team-id': team.id },
        h('td', {}, team.name),
        h('td', {}, team.members.length ? team.members.map(nameOf).join(', ') : h('span', { class: 'muted' }, t('teams.no_members'))),
        h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'team-edit', 'aria-label': `${t('settings.edit')}: ${team.name}`, onclick: () => { editing = team; drawEditor(); focus(document.getElementById('team-name')); } }, t('settings.edit')),
          h('button', { type: 'button', class: 'danger team-delete', 'aria-label': `${t('settings.delete')}: ${team.name}`, onclick: async (e) => {
            if (!(await confirmDialog(t('teams.confirm_delete', { name: team.name }), t('settings.delete')))) return;
            const done = await attempt(e.target, teamListError, () => api(`/api/teams/${encodeURIComponent(team.id)}`, { method: 'DELETE' }), t('teams.deleted'));
            if (done !== undefined) { if (editing?.id === team.id) { editing = null; drawEditor(); } await reloadTeams(); }
          } }, t('settings.delete'))))))) : h('p', { class: 'muted' }, t('settings.none')));

    const drawEditor = () => {
      const name = h('input', { type: 'text', id: 'team-name', maxlength: 100, value: editing?.name || '' });
      const chosen = new Set(editing?.members || []);
      const members = h('fieldset', { class: 'checks', id: 'team-members' }, h('legend', {}, t('teams.members')),
        agents.map((a) => h('label', { class: 'check' },
          h('input', { type: 'checkbox', class: 'team-member', id: `team-member-${a.id}`, value: a.id, checked: chosen.has(a.id) }),
          ` ${a.name || a.email}`)));
      const error = errorBox('team-error');
      const save = h('button', { type: 'submit', class: 'primary', id: 'team-save' }, t('teams.save'));
      const form = h('form', { id: 'team-form', novalidate: true }, field('team-name', t('teams.name'), name), members, error,
        h('div', { class: 'form-actions' }, save,
          editing ? h('button', { type: 'button', id: 'team-cancel', onclick: () => { editing = null; drawEditor(); } }, t('settings.cancel')) : null));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const wanted = { name: name.value, members: [...members.querySelectorAll('input:checked')].map((i) => i.value) };
        const sent = editing ? changes(editing, wanted) : wanted;
        if (editing && !Object.keys(sent).length) { announce(t('settings.unchanged')); return; }
        const path = editing ? `/api/teams/${encodeURIComponent(editing.id)}` : '/api/teams';
        const saved = await attempt(save, error, () => api(path, { method: editing ? 'PATCH' : 'POST', body: sent }), t('teams.saved'));
        if (saved) { editing = null; drawEditor(); await reloadTeams(); }
      });
      replace(teamEditor, h('h2', { id: 'team-editor-h' }, editing ? t('teams.editing', { name: editing.name }) : t('teams.new')), form);
      if (!ctx.canAdmin()) readOnly(teamEditor);
    };

    const rulesError = errorBox('routing-error');
    const drawRules = () => {
      const { rules } = routing;
      const teamOptions = [['', '—'], ...teams.map((team) => [team.id, team.name])];
      const list = (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
      replace(rulesEl, rules.length ? h('ol', { class: 'rules plain-list', id: 'routing-list' }, rules.map((rule, i) => {
        const cond = rule.if ||= {};
        const n = i + 1;
        const names = (key, label) => h('div', { class: 'field' }, h('label', { for: `rule-${i}-${key}` }, label),
          h('input', { type: 'text', id: `rule-${i}-${key}`, value: list(cond[key]).join(', '), onchange: (e) => {
            const values = e.target.value.split(',').map((x) => x.trim()).filter(Boolean);
            if (values.length) cond[key] = values; else delete cond[key];
          } }));
        const choices = (key, options, label) => h('fieldset', { class: 'checks', id: `rule-${i}-${key}` }, h('legend', {}, label),
          options.map(([value, text]) => h('label', { class: 'check' }, h('input', {
            type: 'checkbox', value, checked: list(cond[key]).includes(value), 'data-key': key, onchange: (e) => {
              const now = [...e.target.closest('fieldset').querySelectorAll('input:checked')].map((x) => x.value);
              if (now.length) cond[key] = now; else delete cond[key];
            },
          }), ` ${text}`)));
        const office = select(`rule-${i}-office`, [['', t('routing.office_any')], ['open', t('routing.office_open')], ['closed', t('routing.office_closed')]], cond.office_hours || '',
          { onchange: (e) => { if (e.target.value) cond.office_hours = e.target.value; else delete cond.office_hours; } });
        const team = select(`rule-${i}-team`, teamOptions, rule.team_id || '', { onchange: (e) => { rule.team_id = e.target.value; } });
        const priority = select(`rule-${i}-priority`, [['', t('routing.priority_none')], ...PRIORITIES.map((p) => [p, t(`priority.${p}`)])], rule.priority || '',
          { onchange: (e) => { if (e.target.value) rule.priority = e.target.value; else delete rule.priority; } });
        const move = (to) => { rules.splice(to, 0, rules.splice(i, 1)[0]); drawRules(); focus(document.getElementById(`rule-${to}-h`)); };
        return h('li', { class: 'rule', id: `rule-${i}`, 'aria-labelledby': `rule-${i}-h` },
          h('div', { class: 'rule-head' }, h('h3', { id: `rule-${i}-h`, tabindex: '-1' }, t('routing.rule', { n })),
            h('button', { type: 'button', class: 'link rule-up', 'aria-label': t('routing.up', { n }), disabled: i === 0, onclick: () => move(i - 1) }, '↑'),
            h('button', { type: 'button', class: 'link rule-down', 'aria-label': t('routing.down', { n }), disabled: i === rules.length - 1, onclick: () => move(i + 1) }, '↓'),
            h('button', { type: 'button', class: 'link danger rule-remove', 'aria-label': t('routing.remove', { n }), onclick: () => { rules.splice(i, 1); drawRules(); } }, t('settings.remove'))),
          h('div', { class: 'rule-grid' },
            names('tags_any', t('routing.tags')), names('segments_any', t('routing.segments')),
            choices('channel', CHANNELS.map((c) => [c, t(`channel.${c}`)]), t('routing.channels')),
            choices('language', [['en', t('lang.en')], ['ko', t('lang.ko')]], t('routing.languages')),
            field(`rule-${i}-office`, t('routing.office'), office),
            field(`rule-${i}-team`, t('routing.team'), team),
            field(`rule-${i}-priority`, t('routing.priority'), priority)));
      })) : h('p', { class: 'muted' }, t('routing.no_rules')));
      if (!ctx.canAdmin()) readOnly(rulesEl);
    };

    const addRule = h('button', { type: 'button', id: 'rule-add', onclick: () => {
      if (!teams.length) { rulesError.textContent = t('routing.needs_team'); return; }
      routing.rules.push({ if: {}, team_id: teams[0].id });
      drawRules();
      focus(document.getElementById(`rule-${routing.rules.length - 1}-h`));
    } }, t('routing.add'));
    const saveRules = h('button', { type: 'submit', class: 'primary', id: 'routing-save' }, t('routing.save'));
    const rulesForm = h('form', { id: 'routing-form', novalidate: true }, rulesEl, rulesError,
      h('div', { class: 'form-actions' }, addRule, saveRules));
    rulesForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = { rules: routing.rules.map((r) => ({ if: r.if || {}, team_id: r.team_id, ...(r.priority ? { priority: r.priority } : {}) })) };
      const saved = await attempt(saveRules, rulesError, () => api('/api/routing/rules', {
        method: 'PUT', body, headers: { 'If-Match': String(routing.version) } }), t('routing.saved'));
      if (saved) { routing.rules = structuredClone(saved.rules); routing.version = saved.version; drawRules(); }
      else if (rulesError.textContent && /changed/i.test(rulesError.textContent)) {
        rulesError.append(' ', h('button', { type: 'button', class: 'link', id: 'routing-reload', onclick: async () => {
          const fresh = await api('/api/routing/rules');
          routing.rules = structuredClone(fresh.rules || []); routing.version = fresh.version; rulesError.textContent = ''; drawRules();
        } }, t('settings.reload')));
      }
    });

    drawTeams();
    drawEditor();
    drawRules();
    return [
      h('section', { 'aria-labelledby': 'team-list-h' }, h('h2', { id: 'team-list-h' }, t('teams.title')), teamList, teamListError),
      h('section', { 'aria-labelledby': 'team-editor-h' }, teamEditor),
      h('section', { 'aria-labelledby': 'routing-h' }, h('h2', { id: 'routing-h' }, t('routing.title')),
        h('p', { class: 'muted' }, t('routing.help')), rulesForm),
    ];
  },

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

  async agents(ctx) {
    const data = await api('/api/agents');
    let agents = data.items || [];
    const tableEl = h('div', { id: 'agent-list' });
    const listError = errorBox('agent-error');
    const iAmOwner = ctx.me?.role === 'owner';
    const roleOptions = (current) => ROLES.filter((r) => iAmOwner || r !== 'owner' || current === 'owner').map((r) => [r, t(`role.${r}`)]);
    const refresh = async () => { agents = (await api('/api/agents')).items || []; ctx.agents = agents; draw(); };

    const draw = () => replace(tableEl, h('table', { class: 'data', id: 'agent-table' },
      h('caption', { class: 'sr-only' }, t('agents.title')),
      h('thead', {}, h('tr', {}, ['agents.name', 'agents.email', 'agents.role', 'agents.status', 'agents.capacity', 'agents.actions']
        .map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, agents.map((agent) => {
        const me = agent.id === ctx.me?.id;
        // Admins manage every role but owner; nobody changes their own role or deactivates themselves.
        const manageable = ctx.canAdmin() && (iAmOwner || agent.role !== 'owner');
        const label = agent.name || agent.email;
        const role = select(`agent-role-${agent.id}`, roleOptions(agent.role), agent.role, { 'aria-label': `${t('agents.role')}: ${label}`, disabled: !manageable || me });
        const capacity = h('input', { type: 'number', min: 0, max: 1000, step: 1, id: `agent-capacity-${agent.id}`, class: 'capacity',
          value: agent.capacity ?? '', 'aria-label': `${t('agents.capacity')}: ${label}`, title: t('agents.capacity_hint'), disabled: !manageable });
        const save = h('button', { type: 'button', id: `agent-save-${agent.id}`, disabled: !manageable, onclick: async () => {
          const wanted = { role: role.value, capacity: capacity.value === '' ? null : Number(capacity.value) };
          const sent = changes(agent, wanted);
          if (me) delete sent.role;
          if (!Object.keys(sent).length) { announce(t('settings.unchanged')); return; }
          const done = await attempt(save, listError, () => api(`/api/agents/${encodeURIComponent(agent.id)}`, { method: 'PATCH', body: sent }), t('agents.saved', { name: label }));
          if (done) await refresh();
        } }, t('agents.save'));
        const active = agent.active !== false;
        const toggle = h('button', { type: 'button', id: `agent-active-${agent.id}`, class: active ? 'danger' : null, disabled: !manageable || me, onclick: async () => {
          if (active && !(await confirmDialog(t('agents.confirm_deactivate', { name: label }), t('agents.deactivate')))) return;
          const done = await attempt(toggle, listError, () => api(`/api/agents/${encodeURIComponent(agent.id)}`, { method: 'PATCH', body: { active: !active } }),
            t(active ? 'agents.deactivated' : 'agents.reactivated', { name: label }));
          if (done) await refresh();
        } }, active ? t('agents.deactivate') : t('agents.reactivate'));
        return h('tr', { 'data-agent-id': agent.id, class: active ? null : 'inactive' },
          h('td', {}, agent.name || '—', me ? ` ${t('agents.you')}` : ''),
          h('td', {}, agent.email || ''),
          h('td', {}, role),
          h('td', {}, active ? t(agent.status === 'online' ? 'agents.online' : 'agents.offline') : t('agents.inactive'),
            agent.presence_at ? h('span', { class: 'muted' }, ` · ${when(agent.presence_at)}`) : null),
          h('td', {}, capacity),
          h('td', { class: 'row-actions' }, save, toggle));
      }))));

    const email = h('input', { type: 'email', id: 'agent-invite-email', autocomplete: 'off', required: true });
    const name = h('input', { type: 'text', id: 'agent-invite-name', maxlength: 100, autocomplete: 'off' });
    const role = select('agent-invite-role', roleOptions('support'), 'support');
    const inviteError = errorBox('agent-invite-error');
    const send = h('button', { type: 'submit', class: 'primary', id: 'agent-invite-submit' }, t('agents.invite_send'));
    const invite = h('form', { id: 'agent-invite-form', novalidate: true },
      field('agent-invite-email', t('agents.invite_email'), email), field('agent-invite-name', t('agents.invite_name'), name),
      field('agent-invite-role', t('agents.invite_role'), role), inviteError, h('div', { class: 'form-actions' }, send));
    invite.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = { email: email.value.trim(), role: role.value, ...(name.value.trim() ? { name: name.value.trim() } : {}) };
      const done = await attempt(send, inviteError, () => api('/api/agents', { method: 'POST', body }), t('agents.invited', { email: body.email }));
      if (done) { email.value = ''; name.value = ''; await refresh(); }
    });
    draw();
    return [
      h('section', { 'aria-labelledby': 'agents-h' }, h('h2', { id: 'agents-h' }, t('agents.title')), tableEl, listError),
      h('section', { 'aria-labelledby': 'invite-h' }, h('h2', { id: 'invite-h' }, t('agents.invite')), invite),
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
