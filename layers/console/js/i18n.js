// English and Korean. Each screen module registers its own strings (addStrings), so one file does not
// hold every screen's words; `t` falls back to English, then to the key.
const strings = { en: {}, ko: {} };
const STORAGE = 'helpdesk.lang';

export let lang = localStorage.getItem(STORAGE) || ((navigator.language || 'en').toLowerCase().startsWith('ko') ? 'ko' : 'en');

export function addStrings(table) {
  for (const code of Object.keys(table)) Object.assign(strings[code] ||= {}, table[code]);
}

/** t('inbox.count', {n: 3}) → the string with {n} filled in. */
export function t(key, vars = {}) {
  const text = strings[lang]?.[key] ?? strings.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

export function setLang(code) {
  lang = code === 'ko' ? 'ko' : 'en';
  localStorage.setItem(STORAGE, lang);
  document.documentElement.lang = lang;
}

export function locale() {
  return lang === 'ko' ? 'ko-KR' : 'en-US';
}

/** A time as agents read it: today's as a time, older ones with the date. */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay
    ? d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(locale(), { month: 'short', day: 'numeric' }) + ' ' + d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
}

document.documentElement.lang = lang;
