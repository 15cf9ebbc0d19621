// Formatting shared by the screens that show figures (reports, settings), so neither loads the other.
import { locale } from './i18n.js';

/** A duration as people read it: its largest unit and, if any, the next ("3 days 4 hr", "45 sec");
 *  `long` spells the units out (settings), `narrow` is for chart axes. null: an em dash. */
export function duration(seconds, display = 'short') {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  let rest = Math.max(0, Math.round(seconds));
  const units = [['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]];
  const format = (unit, n) => {
    try {
      return new Intl.NumberFormat(locale(), { style: 'unit', unit, unitDisplay: display }).format(n);
    } catch {
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  };
  const first = units.findIndex(([, size]) => rest >= size);
  if (first < 0) return format('second', 0);
  const [unit, size] = units[first];
  const n = Math.floor(rest / size);
  rest -= n * size;
  const next = units[first + 1];
  const m = next ? Math.floor(rest / next[1]) : 0;
  return m && display !== 'narrow' ? `${format(unit, n)} ${format(next[0], m)}` : format(unit, n);
}
