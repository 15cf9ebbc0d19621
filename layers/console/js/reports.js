// Reports (#/reports, #/reports/<group>): GET /api/reports/tickets for a date range, grouped by day,
// agent, tag or channel, drawn as inline SVG charts (no library), each with the same figures as a
// table for screen readers, and the CSV the API gives for the same range.
import { api, ApiError } from './api.js';
import { h, s, replace, announce } from './dom.js';
import { t, addStrings, locale } from './i18n.js';
import { duration } from './format.js';

addStrings({
  en: {
    'reports.title': 'Reports', 'reports.from': 'From', 'reports.to': 'To', 'reports.apply': 'Show',
    'reports.business_hours': 'Count durations in office hours only', 'reports.csv': 'Download CSV',
    'reports.csv_done': 'The CSV is downloaded.', 'reports.loading': 'Loading the report…',
    'reports.groups': 'Group by', 'reports.group.day': 'By day', 'reports.group.agent': 'By agent',
    'reports.group.tag': 'By tag', 'reports.group.channel': 'By channel',
    'reports.forbidden': 'Reports are for owners, admins and managers. You are signed in as {role}.',
    'reports.failed': 'The report could not be loaded: {error}', 'reports.empty': 'No tickets in this range.',
    'reports.bad_range': 'The start date must be on or before the end date.',
    'reports.totals': 'Totals', 'reports.created': 'Created', 'reports.reopened': 'Reopened', 'reports.closed': 'Closed',
    'reports.auto_closed': 'Auto-closed', 'reports.skill_answered': 'Answered by the order skill',
    'reports.skill_handed_off': 'Handed off by the order skill', 'reports.skill_resolved': 'Resolved by the order skill',
    'reports.volume_day': 'Volume by day', 'reports.volume_by': 'Tickets {group}',
    'reports.first_response': 'First response time', 'reports.resolution': 'Resolution time',
    'reports.first_response_by': 'First response time {group}', 'reports.resolution_by': 'Resolution time {group}',
    'reports.median': 'Median', 'reports.p90': '90th percentile', 'reports.key.day': 'Day', 'reports.key.agent': 'Agent',
    'reports.key.tag': 'Tag', 'reports.key.channel': 'Channel', 'reports.unassigned': 'Unassigned',
    'reports.fr_median': 'First response, median', 'reports.fr_p90': 'First response, p90',
    'reports.res_median': 'Resolution, median', 'reports.res_p90': 'Resolution, p90',
    'reports.no_samples': 'No samples', 'reports.shown_top': 'The chart shows the first {n} of {total}; the table has them all.',
    'reports.definitions': 'Definitions version {version} (docs/metrics.md).', 'reports.table': '{title}: the figures',
    'channel.sms': 'SMS', 'channel.whatsapp': 'WhatsApp', 'channel.instagram': 'Instagram', 'channel.email': 'Email', 'channel.webchat': 'Web chat',
    'reports.role.owner': 'Owner', 'reports.role.admin': 'Admin', 'reports.role.manager': 'Manager', 'reports.role.support': 'Support',
  },
  ko: {
    'reports.title': '리포트', 'reports.from': '시작일', 'reports.to': '종료일', 'reports.apply': '보기',
    'reports.business_hours': '운영 시간만 계산', 'reports.csv': 'CSV 다운로드',
    'reports.csv_done': 'CSV를 다운로드했습니다.', 'reports.loading': '리포트를 불러오는 중…',
    'reports.groups': '묶기', 'reports.group.day': '일별', 'reports.group.agent': '상담원별',
    'reports.group.tag': '태그별', 'reports.group.channel': '채널별',
    'reports.forbidden': '리포트는 소유자, 관리자, 매니저만 볼 수 있습니다. {role} 역할로 로그인했습니다.',
    'reports.failed': '리포트를 불러오지 못했습니다: {error}', 'reports.empty': '이 기간에는 티켓이 없습니다.',
    'reports.bad_range': '시작일은 종료일과 같거나 그보다 앞서야 합니다.',
    'reports.totals': '합계', 'reports.created': '생성', 'reports.reopened': '다시 열림', 'reports.closed': '종료',
    'reports.auto_closed': '자동 종료', 'reports.skill_answered': '주문 스킬이 답함',
    'reports.skill_handed_off': '주문 스킬이 넘김', 'reports.skill_resolved': '주문 스킬이 해결',
    'reports.volume_day': '일별 티켓 수', 'reports.volume_by': '{group} 티켓 수',
    'reports.first_response': '첫 응답 시간', 'reports.resolution': '해결 시간',
    'reports.first_response_by': '{group} 첫 응답 시간', 'reports.resolution_by': '{group} 해결 시간',
    'reports.median': '중앙값', 'reports.p90': '90번째 백분위수', 'reports.key.day': '날짜', 'reports.key.agent': '상담원',
    'reports.key.tag': '태그', 'reports.key.channel': '채널', 'reports.unassigned': '미배정',
    'reports.fr_median': '첫 응답 중앙값', 'reports.fr_p90': '첫 응답 p90',
    'reports.res_median': '해결 중앙값', 'reports.res_p90': '해결 p90',
    'reports.no_samples': '표본 없음', 'reports.shown_top': '차트는 {total}개 중 처음 {n}개를 보여 줍니다. 표에는 모두 있습니다.',
    'reports.definitions': '정의 버전 {version} (docs/metrics.md).', 'reports.table': '{title}: 수치',
    'channel.sms': 'SMS', 'channel.whatsapp': 'WhatsApp', 'channel.instagram': 'Instagram', 'channel.email': '이메일', 'channel.webchat': '웹 채팅',
    'reports.role.owner': '소유자', 'reports.role.admin': '관리자', 'reports.role.manager': '매니저', 'reports.role.support': '상담원',
  },
});

const GROUPS = ['day', 'agent', 'tag', 'channel'];
const READERS = ['owner', 'admin', 'manager'];
const MAX_BARS = 25; // a horizontal chart longer than this is hard to read; the table has every row
const TOTALS = ['created', 'reopened', 'closed', 'auto_closed', 'skill_answered', 'skill_handed_off', 'skill_resolved'];

function isoDay(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function groupOf(hash) {
  const name = (hash || '').split('/')[2];
  return GROUPS.includes(name) ? name : 'day';
}

export async function mount(root, ctx, hash) {
  let host = root;
  let alive = true;
  let generation = 0;
  const today = new Date();
  const start = new Date(today);
  start.setDate(start.getDate() - 29); // the last 30 days, today included
  const state = { from: isoDay(start), to: isoDay(today), group: groupOf(hash), business: false };

  function draw() {
    // The language switch rebuilds the shell (a new <main>): draw into whichever is on the page.
    if (!host.isConnected) host = document.getElementById('main') || host;
    const page = h('div', { class: 'page reports', id: 'reports-page' }, h('h1', {}, t('reports.title')));
    if (!READERS.includes(ctx.me?.role)) {
      replace(host, page);
      page.append(h('p', { class: 'readonly-note', id: 'reports-forbidden' }, t('reports.forbidden', { role: t(`reports.role.${ctx.me?.role}`) })));
      return;
    }
    const from = h('input', { type: 'date', id: 'report-from', value: state.from, required: true });
    const to = h('input', { type: 'date', id: 'report-to', value: state.to, required: true });
    const business = h('input', { type: 'checkbox', id: 'report-business-hours', checked: state.business });
    const error = h('p', { class: 'form-error', role: 'alert', id: 'report-error' });
    const csv = h('button', { type: 'button', id: 'report-csv' }, t('reports.csv'));
    const controls = h('form', { class: 'report-controls', id: 'report-form', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: 'report-from' }, t('reports.from')), from),
      h('div', { class: 'field' }, h('label', { for: 'report-to' }, t('reports.to')), to),
      h('div', { class: 'field inline' }, business, h('label', { for: 'report-business-hours' }, t('reports.business_hours'))),
      h('button', { type: 'submit', class: 'primary', id: 'report-apply' }, t('reports.apply')),
      csv);
    const tabs = h('div', { role: 'tablist', class: 'report-tabs', 'aria-label': t('reports.groups') },
      GROUPS.map((g) => h('button', {
        type: 'button', role: 'tab', id: `report-tab-${g}`, 'aria-controls': 'report-panel', 'data-group': g,
        'aria-selected': String(g === state.group), tabindex: g === state.group ? '0' : '-1',
        onclick: () => choose(g),
      }, t(`reports.group.${g}`))));
    // Arrow keys move between the tabs, as a tab list does.
    tabs.addEventListener('keydown', (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      event.preventDefault();
      const next = GROUPS[(GROUPS.indexOf(state.group) + step + GROUPS.length) % GROUPS.length];
      choose(next);
      document.getElementById(`report-tab-${next}`)?.focus();
    });
    const panel = h('div', { role: 'tabpanel', id: 'report-panel', 'aria-labelledby': `report-tab-${state.group}`, tabindex: '-1' });
    page.append(controls, error, tabs, panel);
    replace(host, page);

    const read = () => {
      state.from = from.value;
      state.to = to.value;
      state.business = business.checked;
      if (!state.from || !state.to || state.from > state.to) { error.textContent = t('reports.bad_range'); return false; }
      error.textContent = '';
      return true;
    };
    controls.addEventListener('submit', (event) => { event.preventDefault(); if (read()) load(panel, error); });
    csv.addEventListener('click', async () => {
      if (!read()) return;
      csv.disabled = true;
      try {
        const response = await api('/api/reports/tickets', { query: query('csv'), raw: true });
        const url = URL.createObjectURL(await response.blob());
        const link = h('a', { href: url, download: `tickets-${state.group}-${state.from}-${state.to}.csv`, hidden: true });
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
        announce(t('reports.csv_done'));
      } catch (problem) {
        error.textContent = problem instanceof ApiError ? problem.message : String(problem);
      } finally {
        csv.disabled = false;
      }
    });
    function choose(group) {
      if (group === state.group) return;
      state.group = group;
      // The address keeps the tab (a reload opens it) without the router remounting the page.
      history.replaceState(null, '', `#/reports/${group}`);
      tabs.querySelectorAll('[role=tab]').forEach((tab) => {
        const on = tab.dataset.group === group;
        tab.setAttribute('aria-selected', String(on));
        tab.tabIndex = on ? 0 : -1;
      });
      panel.setAttribute('aria-labelledby', `report-tab-${group}`);
      if (read()) load(panel, error);
    }
    if (read()) load(panel, error);
  }

  function query(format) {
    return { from: state.from, to: state.to, group_by: state.group, business_hours: state.business ? 'true' : undefined, format };
  }

  async function load(panel, error) {
    const mine = ++generation;
    panel.setAttribute('aria-busy', 'true');
    replace(panel, h('p', { class: 'muted' }, t('reports.loading')));
    let report;
    try {
      report = await api('/api/reports/tickets', { query: query() });
    } catch (problem) {
      if (mine !== generation || !alive) return;
      panel.removeAttribute('aria-busy');
      replace(panel);
      error.textContent = problem instanceof ApiError && [400, 403].includes(problem.status)
        ? problem.message : t('reports.failed', { error: problem.message });
      return;
    }
    if (mine !== generation || !alive) return;
    panel.removeAttribute('aria-busy');
    replace(panel, renderReport(report, state.group, ctx));
  }

  draw();
  return {
    unmount() { alive = false; },
    update(newHash) {
      state.group = groupOf(newHash);
      draw();
    },
  };
}

// --- the report ---------------------------------------------------------------------------------------

function renderReport(report, group, ctx) {
  const rows = report.rows || [];
  const label = (key) => (group === 'agent' ? (key === 'unassigned' ? t('reports.unassigned') : ctx.agentName(key))
    : group === 'channel' ? t(`channel.${key}`) : group === 'day' ? dayLabel(key) : key);
  const totals = Object.fromEntries(TOTALS.map((k) => [k, rows.reduce((sum, r) => sum + (r[k] || 0), 0)]));
  const totalsEl = h('section', { class: 'report-totals', 'aria-labelledby': 'report-totals-h' },
    h('h2', { id: 'report-totals-h' }, t('reports.totals')),
    h('dl', { id: 'report-totals' }, TOTALS.filter((k) => k.startsWith('skill_') ? totals[k] : true).map((k) => h('div', { class: 'total', 'data-total': k },
      h('dt', {}, t(`reports.${k}`)), h('dd', {}, totals[k].toLocaleString(locale()))))));
  const foot = report.definitions ? h('p', { class: 'muted' }, t('reports.definitions', { version: report.definitions })) : null;
  const empty = !rows.some((r) => r.created || r.closed || r.reopened);
  if (empty && group !== 'day') return [totalsEl, h('p', { class: 'muted', id: 'report-empty' }, t('reports.empty')), foot];
  const keyHead = t(`reports.key.${group}`);
  const fr = (r) => r.first_response_seconds || {};
  const res = (r) => r.resolution_seconds || {};

  if (group === 'day') {
    return [
      totalsEl,
      chartSection('report-volume', t('reports.volume_day'),
        columnChart(rows.map((r) => ({ label: r.key, short: dayLabel(r.key), values: [r.created, r.closed] })),
          [t('reports.created'), t('reports.closed')], (v) => v.toLocaleString(locale())),
        legend([t('reports.created'), t('reports.closed')], 'bar'),
        dataTable(t('reports.volume_day'), [keyHead, t('reports.created'), t('reports.reopened'), t('reports.closed'), t('reports.auto_closed')],
          rows.map((r) => [dayLabel(r.key), r.created, r.reopened, r.closed, r.auto_closed]))),
      durationLines('report-first-response', t('reports.first_response'), rows, fr, keyHead),
      durationLines('report-resolution', t('reports.resolution'), rows, res, keyHead),
      foot,
    ];
  }
  const groupName = t(`reports.group.${group}`).toLowerCase();
  const byVolume = [...rows].sort((a, b) => (b.created + b.closed) - (a.created + a.closed) || String(a.key).localeCompare(String(b.key)));
  const top = byVolume.slice(0, MAX_BARS);
  const more = byVolume.length > MAX_BARS ? h('p', { class: 'muted' }, t('reports.shown_top', { n: MAX_BARS, total: byVolume.length })) : null;
  const counts = (v) => v.toLocaleString(locale());
  return [
    totalsEl,
    chartSection('report-volume', t('reports.volume_by', { group: groupName }),
      barChart(top.map((r) => ({ label: label(r.key), values: [r.created, r.closed] })), [t('reports.created'), t('reports.closed')], counts),
      legend([t('reports.created'), t('reports.closed')], 'bar'), more,
      dataTable(t('reports.volume_by', { group: groupName }), [keyHead, t('reports.created'), t('reports.reopened'), t('reports.closed'), t('reports.auto_closed')],
        byVolume.map((r) => [label(r.key), r.created, r.reopened, r.closed, r.auto_closed]))),
    chartSection('report-first-response', t('reports.first_response_by', { group: groupName }),
      barChart(top.map((r) => ({ label: label(r.key), values: [fr(r).median, fr(r).p90] })), [t('reports.median'), t('reports.p90')], (v) => duration(v), 'duration'),
      legend([t('reports.median'), t('reports.p90')], 'duration'), more,
      dataTable(t('reports.first_response_by', { group: groupName }), [keyHead, t('reports.median'), t('reports.p90')],
        byVolume.map((r) => [label(r.key), duration(fr(r).median), duration(fr(r).p90)]))),
    chartSection('report-resolution', t('reports.resolution_by', { group: groupName }),
      barChart(top.map((r) => ({ label: label(r.key), values: [res(r).median, res(r).p90] })), [t('reports.median'), t('reports.p90')], (v) => duration(v), 'duration'),
      legend([t('reports.median'), t('reports.p90')], 'duration'), more,
      dataTable(t('reports.resolution_by', { group: groupName }), [keyHead, t('reports.median'), t('reports.p90')],
        byVolume.map((r) => [label(r.key), duration(res(r).median), duration(res(r).p90)]))),
    foot,
  ];
}

function dayLabel(key) {
  const [y, m, d] = String(key).split('-').map(Number);
  if (!y || !m || !d) return String(key);
  return new Date(y, m - 1, d).toLocaleDateString(locale(), { month: 'short', day: 'numeric' });
}

function durationLines(id, title, rows, pick, keyHead) {
  return chartSection(id, title,
    lineChart(rows.map((r) => ({ label: r.key, short: dayLabel(r.key), values: [pick(r).median ?? null, pick(r).p90 ?? null] })),
      [t('reports.median'), t('reports.p90')]),
    legend([t('reports.median'), t('reports.p90')], 'line'),
    dataTable(title, [keyHead, t('reports.median'), t('reports.p90')],
      rows.filter((r) => pick(r).median !== null && pick(r).median !== undefined)
        .map((r) => [dayLabel(r.key), duration(pick(r).median), duration(pick(r).p90)]), t('reports.no_samples')));
}

/** A chart's section: the heading, the picture (hidden from screen readers) and its table. */
function chartSection(id, title, chart, ...rest) {
  return h('section', { class: 'report-chart', id, 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h` }, title), chart, rest);
}

function legend(names, kind) {
  return h('ul', { class: 'legend plain-list', 'aria-hidden': 'true' },
    names.map((name, i) => h('li', {}, h('span', { class: `swatch series-${i} ${kind}` }), ` ${name}`)));
}

function dataTable(title, heads, rows, emptyText = t('reports.empty')) {
  if (!rows.length) return h('p', { class: 'muted' }, emptyText);
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data report-table' },
    h('caption', { class: 'sr-only' }, t('reports.table', { title })),
    h('thead', {}, h('tr', {}, heads.map((x, i) => h('th', { scope: 'col', class: i ? 'num' : null }, x)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, h('th', { scope: 'row' }, cells[0]),
      cells.slice(1).map((c) => h('td', { class: 'num' }, typeof c === 'number' ? c.toLocaleString(locale()) : c)))))));
}

// --- SVG charts ---------------------------------------------------------------------------------------

const W = 900;

/** An axis for counts: whole steps of 1, 2 or 5 times a power of ten, about four of them. */
function countAxis(value) {
  const top = Math.max(1, value);
  const rough = top / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((x) => x >= rough));
  const ticks = Math.max(1, Math.ceil(top / step));
  return { max: step * ticks, ticks };
}

/** A duration axis: about four steps of round seconds, minutes, hours or days. */
function durationAxis(value) {
  const top = Math.max(60, value);
  const steps = [15, 30, 60, 300, 600, 900, 1800, 3600, 7200, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400];
  const step = steps.find((x) => x * 4 >= top) || Math.ceil(top / 4 / 86400) * 86400;
  const ticks = Math.max(1, Math.ceil(top / step));
  return { max: step * ticks, ticks };
}

function grid(top, height, left, right, max, format, ticks = 4) {
  const lines = [];
  for (let i = 0; i <= ticks; i += 1) {
    const value = (max / ticks) * i;
    const y = top + height - (height * i) / ticks;
    lines.push(s('line', { x1: left, x2: right, y1: y, y2: y, class: i ? 'gridline' : 'axis' }),
      s('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, format(value)));
  }
  return lines;
}

function xLabels(points, x, y) {
  const every = Math.max(1, Math.ceil(points.length / 10));
  return points.map((p, i) => (i % every === 0 ? s('text', { x: x(i), y, 'text-anchor': 'middle' }, p.short || p.label) : null));
}

/** Vertical bars, one group per point (a day): the series side by side. */
function columnChart(points, names, format) {
  const H = 260;
  const top = 12;
  const left = 48;
  const right = W - 10;
  const bottom = H - 28;
  const height = bottom - top;
  const { max, ticks } = countAxis(Math.max(0, ...points.flatMap((p) => p.values.map((v) => v || 0))));
  const band = (right - left) / Math.max(1, points.length);
  const barW = Math.max(1, Math.min(18, (band * 0.8) / names.length));
  const bars = points.flatMap((p, i) => p.values.map((v, k) => {
    const hgt = ((v || 0) / max) * height;
    const x = left + band * i + (band - barW * names.length) / 2 + barW * k;
    return s('rect', { x: x.toFixed(1), y: (bottom - hgt).toFixed(1), width: barW.toFixed(1), height: Math.max(0, hgt).toFixed(1), class: `bar series-${k}` },
      s('title', {}, `${p.short || p.label} · ${names[k]}: ${format(v || 0)}`));
  }));
  return s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart column-chart', 'aria-hidden': 'true', focusable: 'false', preserveAspectRatio: 'xMinYMin meet' },
    grid(top, height, left, right, max, (v) => format(Math.round(v)), ticks),
    bars,
    xLabels(points, (i) => left + band * i + band / 2, H - 10));
}

/** Lines over days, one per series; a day without samples breaks its line. */
function lineChart(points, names) {
  const H = 240;
  const top = 12;
  const left = 78;
  const right = W - 14;
  const bottom = H - 28;
  const height = bottom - top;
  const { max, ticks } = durationAxis(Math.max(0, ...points.flatMap((p) => p.values.map((v) => v || 0))));
  const step = points.length > 1 ? (right - left) / (points.length - 1) : 0;
  const x = (i) => (points.length > 1 ? left + step * i : (left + right) / 2);
  const y = (v) => bottom - (v / max) * height;
  const series = names.map((name, k) => {
    const runs = [];
    let run = [];
    points.forEach((p, i) => {
      const v = p.values[k];
      if (v === null || v === undefined) { if (run.length) runs.push(run); run = []; } else run.push([x(i), y(v)]);
    });
    if (run.length) runs.push(run);
    return s('g', { class: `series series-${k}` },
      runs.map((r) => s('polyline', { points: r.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' '), class: 'line' })),
      points.map((p, i) => (p.values[k] === null || p.values[k] === undefined ? null
        : s('circle', { cx: x(i).toFixed(1), cy: y(p.values[k]).toFixed(1), r: 3, class: 'dot' },
          s('title', {}, `${p.short || p.label} · ${name}: ${duration(p.values[k])}`)))));
  });
  return s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart line-chart', 'aria-hidden': 'true', focusable: 'false', preserveAspectRatio: 'xMinYMin meet' },
    grid(top, height, left, right, max, (v) => duration(v, 'narrow'), ticks),
    series,
    xLabels(points, x, H - 10));
}

/** Horizontal bars, one row per key (agent, tag, channel), the series one under the other. */
function barChart(points, names, format, kind = 'count') {
  const rowH = 12 * names.length + 12;
  const top = 6;
  const left = 190;
  const right = W - 110;
  const H = top + rowH * Math.max(1, points.length) + 22;
  const values = points.flatMap((p) => p.values.map((v) => v || 0));
  const { max, ticks: count } = kind === 'duration' ? durationAxis(Math.max(0, ...values)) : countAxis(Math.max(0, ...values));
  const width = right - left;
  const rows = points.map((p, i) => {
    const y0 = top + rowH * i;
    const name = String(p.label);
    return s('g', { class: 'bar-row' },
      s('text', { x: left - 8, y: y0 + rowH / 2 + 4, 'text-anchor': 'end', class: 'bar-label' }, name.length > 24 ? `${name.slice(0, 23)}…` : name),
      p.values.map((v, k) => {
        const y = y0 + 6 + 12 * k;
        const w = ((v || 0) / max) * width;
        return [
          s('rect', { x: left, y, width: Math.max(v ? 1 : 0, w).toFixed(1), height: 10, class: `bar series-${k}` },
            s('title', {}, `${name} · ${names[k]}: ${v === null || v === undefined ? t('reports.no_samples') : format(v)}`)),
          s('text', { x: left + w + 6, y: y + 9, class: 'bar-value' }, v === null || v === undefined ? '—' : format(v)),
        ];
      }));
  });
  const ticks = Array.from({ length: count + 1 }, (_, i) => i / count).map((f) => [
    s('line', { x1: left + width * f, x2: left + width * f, y1: top, y2: H - 20, class: f ? 'gridline' : 'axis' }),
    s('text', { x: left + width * f, y: H - 6, 'text-anchor': 'middle' }, kind === 'duration' ? duration(max * f, 'narrow') : Math.round(max * f).toLocaleString(locale())),
  ]);
  return s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart bar-chart', 'aria-hidden': 'true', focusable: 'false', preserveAspectRatio: 'xMinYMin meet' }, ticks, rows);
}
