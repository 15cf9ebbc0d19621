// Settings: the workspace's sections (macros, teams and routing rules, agents). The shell and builders
// are in settings.js; skills in settings-skills.js.
import { api } from './api.js';
import { h, replace, announce, focus } from './dom.js';
import { t, addStrings, when } from './i18n.js';
import { field, select, errorBox, needsPlan, attempt, confirmDialog, changes, readOnly } from './settings.js';

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
