// The console's shell: configuration, sign-in, the header (presence, language, sign-out), the sidebar
// of views with their unread badges, and the hash router that mounts one screen at a time.
import * as auth from './auth.js';
import { api, ApiError, explain } from './api.js';
import { h, replace, announce, focus } from './dom.js';
import { t, addStrings, setLang, lang } from './i18n.js';
import * as keys from './keys.js';
import { Presence } from './presence.js';

addStrings({
  en: {
    'app.name': 'Helpdesk', 'signin.title': 'Sign in to the helpdesk', 'signin.email': 'Email',
    'signin.password': 'Password', 'signin.submit': 'Sign in', 'signin.failed': 'Wrong email or password.',
    'signin.new_password': 'Choose your own password', 'signin.set_password': 'Set password',
    'signin.not_agent': 'This account is not an agent of the helpdesk. Ask an owner or admin of your team to invite you, then sign in again.',
    'signin.inactive': 'This agent has been deactivated. Ask an owner or admin of your team.',
    'signin.expired': 'Your session ended. Sign in again.', 'signin.out': 'Sign out',
    'signin.error': 'The helpdesk cannot be reached right now: {error}',
    'nav.inbox': 'Inbox', 'nav.reports': 'Reports', 'nav.settings': 'Settings', 'nav.main': 'Main',
    'views.title': 'Views', 'views.mine': 'My inbox', 'views.unassigned': 'Unassigned', 'views.all': 'All tickets',
    'views.spam': 'Spam', 'views.saved': 'Saved views', 'views.unread': '{n} unread',
    'presence.label': 'Online', 'presence.online': 'Online', 'presence.offline': 'Offline',
    'presence.on': 'You are online: new tickets can be assigned to you.',
    'presence.off': 'You are offline: no new tickets are assigned to you.',
    'lang.switch': '한국어', 'lang.label': 'Language',
    'notfound': 'Nothing here.',
  },
  ko: {
    'app.name': '헬프데스크', 'signin.title': '헬프데스크 로그인', 'signin.email': '이메일',
    'signin.password': '비밀번호', 'signin.submit': '로그인', 'signin.failed': '이메일 또는 비밀번호가 올바르지 않습니다.',
    'signin.new_password': '새 비밀번호를 정하세요', 'signin.set_password': '비밀번호 설정',
    'signin.not_agent': '이 계정은 헬프데스크 상담원이 아닙니다. 팀의 소유자나 관리자에게 초대를 요청한 뒤 다시 로그인하세요.',
    'signin.inactive': '비활성화된 상담원입니다. 팀의 소유자나 관리자에게 문의하세요.',
    'signin.expired': '세션이 끝났습니다. 다시 로그인하세요.', 'signin.out': '로그아웃',
    'signin.error': '지금은 헬프데스크에 연결할 수 없습니다: {error}',
    'nav.inbox': '받은 편지함', 'nav.reports': '리포트', 'nav.settings': '설정', 'nav.main': '메인',
    'views.title': '보기', 'views.mine': '내 티켓', 'views.unassigned': '미배정', 'views.all': '전체 티켓',
    'views.spam': '스팸', 'views.saved': '저장된 보기', 'views.unread': '읽지 않음 {n}개',
    'presence.label': '온라인', 'presence.online': '온라인', 'presence.offline': '오프라인',
    'presence.on': '온라인입니다: 새 티켓이 배정될 수 있습니다.',
    'presence.off': '오프라인입니다: 새 티켓이 배정되지 않습니다.',
    'lang.switch': 'English', 'lang.label': '언어',
    'notfound': '여기에는 아무것도 없습니다.',
  },
});

const root = document.getElementById('app');
export const ctx = {
  me: null, // GET /api/agents/me
  config: null,
  views: [], // saved views
  agents: [], // the account's agents (assign menus, names)
  presence: null,
  navigate(hash) { if (location.hash === hash) route(); else location.hash = hash; },
  agentName(id) { return ctx.agents.find((a) => a.id === id)?.name || (id ? id.slice(0, 8) : ''); },
  canAdmin() { return ['owner', 'admin'].includes(ctx.me?.role); },
  refreshBadges: () => {},
};
let screen = null; // the mounted screen: {unmount?()}
let main = null;
let sidebar = null;

async function boot() {
  try {
    ctx.config = await (await fetch('config.json', { cache: 'no-store' })).json();
  } catch (error) {
    replace(root, h('p', { class: 'boot', role: 'alert' }, t('signin.error', { error: String(error) })));
    return;
  }
  auth.configure(ctx.config);
  auth.onChange((session, reason) => { if (!session) showSignIn(reason === 'expired' ? t('signin.expired') : ''); });
  if (auth.current()) await enter(); else showSignIn('');
}

function showSignIn(message, challenge = null) {
  teardown();
  root.removeAttribute('aria-busy');
  const error = h('p', { class: 'form-error', role: 'alert', id: 'signin-error' }, message || '');
  const email = h('input', { type: 'email', id: 'signin-email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', id: 'signin-password', name: 'password', autocomplete: challenge ? 'new-password' : 'current-password', required: true });
  const form = h('form', { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, challenge ? t('signin.new_password') : t('signin.title')),
    challenge ? null : h('label', { for: 'signin-email' }, t('signin.email')), challenge ? null : email,
    h('label', { for: 'signin-password' }, t('signin.password')), password,
    error,
    h('button', { type: 'submit', class: 'primary' }, challenge ? t('signin.set_password') : t('signin.submit')),
    h('button', { type: 'button', class: 'link', onclick: () => { setLang(lang === 'ko' ? 'en' : 'ko'); showSignIn(message, challenge); } }, t('lang.switch')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    form.querySelector('button[type=submit]').disabled = true;
    try {
      if (challenge) { await auth.setNewPassword(challenge, password.value); await enter(); return; }
      const result = await auth.signIn(email.value, password.value);
      if (result.challenge === 'NEW_PASSWORD_REQUIRED') { showSignIn('', result); return; }
      await enter();
    } catch (err) {
      error.textContent = err instanceof auth.AuthError && ['NotAuthorizedException', 'UserNotFoundException'].includes(err.code)
        ? t('signin.failed') : t('signin.error', { error: err.message });
      form.querySelector('button[type=submit]').disabled = false;
      focus(password);
    }
  });
  replace(root, h('main', { class: 'signin-page' }, form));
  focus(challenge ? password : email);
}

/** Signed in: who am I? A user the helpdesk does not know (403) is told why and may sign out. */
async function enter() {
  try {
    ctx.me = await api('/api/agents/me');
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) {
      teardown();
      const why = /deactivat|inactive/i.test(error.message) ? t('signin.inactive') : t('signin.not_agent');
      replace(root, h('main', { class: 'signin-page' }, h('div', { class: 'signin', role: 'alert', id: 'not-agent' },
        h('h1', {}, t('app.name')), h('p', {}, why), h('p', { class: 'muted' }, error.message),
        h('button', { class: 'primary', onclick: () => auth.signOut() }, t('signin.out')))));
      return;
    }
    showSignIn(t('signin.error', { error: error.message }));
    return;
  }
  const [agents, views] = await Promise.all([
    api('/api/agents').catch(() => ({ items: [] })), api('/api/views').catch(() => ({ items: [] }))]);
  ctx.agents = agents.items || agents.agents || [];
  ctx.views = views.items || [];
  shell();
  window.addEventListener('hashchange', route);
  // Without an event: the hashchange listener would route a second time.
  if (!location.hash || location.hash === '#/' || location.hash === '#') history.replaceState(null, '', '#/inbox/mine');
  route();
}

function teardown() {
  clearInterval(badgeTimer);
  badgeTimer = null;
  if (screen?.unmount) screen.unmount();
  screen = null;
  ctx.presence?.stop();
  ctx.presence = null;
  keys.reset();
  window.removeEventListener('hashchange', route);
}

function shell(online = ctx.me.status === 'online') {
  root.removeAttribute('aria-busy');
  const presenceSwitch = h('button', { type: 'button', role: 'switch', id: 'presence', class: 'presence', 'aria-checked': 'false' },
    h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', { class: 'presence-text' }, t('presence.offline')));
  ctx.presence = new Presence(ctx, presenceSwitch);
  const header = h('header', { class: 'topbar' },
    h('a', { class: 'brand', href: '#/inbox/mine' }, t('app.name')),
    h('nav', { 'aria-label': t('nav.main'), class: 'mainnav' },
      h('a', { href: '#/inbox/mine', id: 'nav-inbox' }, t('nav.inbox')),
      h('a', { href: '#/reports', id: 'nav-reports' }, t('nav.reports')),
      h('a', { href: '#/settings/general', id: 'nav-settings' }, t('nav.settings'))),
    h('div', { class: 'spacer' }),
    presenceSwitch,
    h('button', { type: 'button', class: 'link', id: 'lang', 'aria-label': t('lang.label'), onclick: () => switchLanguage() }, t('lang.switch')),
    h('span', { class: 'who', title: ctx.me.email || '' }, `${ctx.me.name || ctx.me.email} · ${ctx.me.role}`),
    h('button', { type: 'button', class: 'link', id: 'signout', onclick: async () => { await ctx.presence?.goOffline(); auth.signOut(); } }, t('signin.out')));
  sidebar = h('nav', { class: 'sidebar', id: 'sidebar', 'aria-label': t('views.title') });
  main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  replace(root, header, h('div', { class: 'body' }, sidebar, main));
  renderSidebar();
  ctx.presence.start(online);
  keys.install(ctx);
}

/** Every screen again in the other language, where the agent was. */
function switchLanguage() {
  setLang(lang === 'ko' ? 'en' : 'ko');
  if (screen?.unmount) screen.unmount();
  screen = null;
  const online = ctx.presence?.online;
  ctx.presence?.stop();
  shell(online);
  route();
  document.getElementById('lang')?.focus();
}

const BUILTIN = ['mine', 'unassigned', 'all', 'spam'];
const badgeCounts = {};

function renderSidebar(active = currentView()) {
  if (!sidebar) return;
  const link = (id, label) => h('a', {
    href: `#/inbox/${id}`, class: 'view-link', 'data-view': id, 'aria-current': id === active ? 'page' : null,
  }, h('span', { class: 'view-name' }, label),
  badgeCounts[id] ? h('span', { class: 'badge', 'aria-label': t('views.unread', { n: badgeCounts[id] }) }, badgeCounts[id] > 99 ? '99+' : String(badgeCounts[id])) : null);
  replace(sidebar,
    h('ul', { role: 'list' }, BUILTIN.map((id) => h('li', {}, link(id, t(`views.${id}`))))),
    ctx.views.length ? h('h2', { class: 'sidebar-heading' }, t('views.saved')) : null,
    h('ul', { role: 'list' }, ctx.views.map((v) => h('li', {}, link(v.id, v.name)))));
}

/** Unread badges: My inbox from the API's own count; the others from their first page of open tickets. */
async function refreshBadges() {
  try {
    const me = await api('/api/agents/me');
    ctx.me = { ...ctx.me, ...me };
    badgeCounts.mine = me.unread_badge ? me.unread_count : 0;
    // The account's unread-badge setting turned off: no badge on any view, and nothing to count.
    const others = me.unread_badge ? ['unassigned', 'all', ...ctx.views.map((v) => v.id)] : [];
    if (!me.unread_badge) for (const id of Object.keys(badgeCounts)) delete badgeCounts[id];
    const pages = await Promise.all(others.map((id) => api('/api/tickets', { query: { view: id, status: 'open', limit: 100 } }).catch(() => null)));
    others.forEach((id, i) => { if (pages[i]) badgeCounts[id] = pages[i].items.filter((x) => x.unread).length; });
    renderSidebar();
  } catch { /* the next round tries again */ }
}
ctx.refreshBadges = refreshBadges;
let badgeTimer = null;

export function currentView() {
  const m = location.hash.match(/^#\/inbox\/([^/?]+)/);
  return m ? decodeURIComponent(m[1]) : null;
}

async function route() {
  if (!ctx.me) return;
  const hash = location.hash || '#/inbox/mine';
  const [, section] = hash.split('/');
  document.querySelectorAll('.mainnav a').forEach((a) => a.setAttribute('aria-current', a.id === `nav-${section}` ? 'page' : 'false'));
  renderSidebar();
  // Badges when the shell appears and every 30 s, not on every ticket opened (those requests would
  // compete with the ticket's own).
  if (!badgeTimer) { refreshBadges(); badgeTimer = setInterval(refreshBadges, 30000); }
  const loaders = {
    inbox: () => import('./inbox.js'),
    settings: () => import('./settings.js'),
    reports: () => import('./reports.js'),
  };
  if (!loaders[section]) { location.replace('#/inbox/mine'); return; }
  // The inbox stays mounted while tickets open and close inside it (the list keeps its place).
  if (screen?.section === section && screen.update) { screen.update(hash); return; }
  if (screen?.unmount) screen.unmount();
  keys.clearScope();
  const module = await loaders[section]();
  replace(main);
  screen = { section, ...(await module.mount(main, ctx, hash)) };
}

window.addEventListener('unhandledrejection', (event) => {
  const error = event.reason;
  if (error instanceof ApiError) {
    announce(explain(error), 'error');
    event.preventDefault();
  }
});

boot();
