import { html, type SafeHtml } from '../shared/html.js';
import { tenth } from './scale.js';

/** A small inline SVG sparkline of counts (no axes; null leaves a gap), with an accessible label. */
export function sparkline(values: readonly (number | null)[], label: string): SafeHtml {
  const w = 84;
  const h = 20;
  const top = Math.max(1, ...values.map((v) => v ?? 0));
  const x = (i: number) => (values.length <= 1 ? w / 2 : (i * (w - 2)) / (values.length - 1) + 1);
  const y = (v: number) => h - 1 - (v / top) * (h - 2);
  const round = tenth;
  const d = values.map((v, i) => (v === null ? '' : `${i === 0 || values[i - 1] === null ? 'M' : 'L'}${round(x(i))},${round(y(v))}`)).join('');
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${label}"><title>${label}</title><path d="${d}" fill="none" stroke="#2563eb" stroke-width="1.5"></path></svg>`;
}
