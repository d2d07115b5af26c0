import { createHash } from 'node:crypto';
import { CHART_STYLE } from '../charts/frame.js';

/** The dashboard's stylesheet (inlined: the dashboard serves no static files). */
export const DASHBOARD_STYLE = `
:root{--ink:#1d2733;--muted:#5b6776;--line:#dde3ea;--bg:#f5f7fa;--card:#fff;--accent:#0b6fa4}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg)}
header{display:flex;align-items:center;gap:24px;padding:10px 24px;background:#14212e;color:#fff}
header strong{font-size:16px;letter-spacing:.3px}
nav a{color:#b9c8d6;text-decoration:none;margin-right:16px;padding:4px 0}
nav a.active,nav a:hover{color:#fff;border-bottom:2px solid #4fb3e8}
main{padding:20px 24px;max-width:1400px}
h1{font-size:20px;margin:0 0 14px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px;margin-bottom:18px}
form.cohort-form{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:12px 16px;align-items:end}
label{display:flex;flex-direction:column;gap:4px;font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.4px}
select,input{font:inherit;color:var(--ink);padding:6px 8px;border:1px solid #c5ced8;border-radius:6px;background:#fff;min-width:0}
fieldset{border:0;padding:0;margin:0;display:flex;gap:12px;align-items:center}
fieldset legend{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.4px;margin-bottom:4px}
fieldset label{flex-direction:row;align-items:center;text-transform:none;font-weight:400;font-size:14px;color:var(--ink)}
.additional{grid-column:1/-1;display:flex;flex-direction:column;gap:6px}
.additional-row{display:flex;gap:8px;align-items:center}
.additional-row select[name=additionalOp]{width:80px}
.additional-row input[name=additional]{width:320px}
.suggest{grid-column:1/-1;display:flex;gap:12px;align-items:end;flex-wrap:wrap}
.suggest .hint{margin:0}
button{font:inherit;padding:7px 14px;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
button.secondary,button.remove{background:#fff;color:var(--accent)}
.actions{grid-column:1/-1;display:flex;gap:10px}
.toolbar{display:flex;align-items:center;gap:14px;margin-bottom:10px;flex-wrap:wrap}
.toolbar .title{font-weight:600;margin-right:auto}
.toggle{display:inline-flex;border:1px solid #c5ced8;border-radius:6px;overflow:hidden}
.toggle a{padding:4px 12px;color:var(--ink);text-decoration:none}
.toggle a.active{background:var(--accent);color:#fff}
a.csv{color:var(--accent)}
.scroll{overflow-x:auto}
table{border-collapse:separate;border-spacing:2px;font-variant-numeric:tabular-nums}
th{font-size:12px;color:var(--muted);font-weight:600;padding:6px 8px;text-align:right;white-space:nowrap}
th.date{text-align:left}
td{padding:7px 9px;text-align:right;min-width:56px;border-radius:3px;white-space:nowrap}
td.date{text-align:left;color:var(--ink);font-weight:500}
td.total{font-weight:600;background:#eef2f6}
td.null{background:transparent}
tr.summary td{background:#eef2f6;font-weight:600}
tr.summary:first-of-type td{border-top:2px solid var(--line)}
td.dark{color:#fff}
table.cohort .p{display:none}
table.cohort.show-percent .p{display:inline}
table.cohort.show-percent .c{display:none}
table.events td,table.events th{background:none;border-bottom:1px solid var(--line);border-radius:0}
table.events td.name{text-align:left}
table.events a{color:var(--accent);text-decoration:none}
table.events a:hover{text-decoration:underline}
.hint{color:var(--muted)}
.error{background:#fff4f2;border:1px solid #f1b8ae;border-radius:8px;padding:12px 16px;margin-bottom:18px}
.error h1{color:#a3281a;font-size:16px;margin:0 0 6px}
.curves h2{font-size:15px;margin:0 0 8px}
.curves .legend,.lifecycle .legend{display:flex;gap:16px;font-size:12px;color:var(--muted);margin-top:4px}
.curves .swatch,.lifecycle .swatch{display:inline-block;width:14px;height:10px;border-radius:2px;margin-right:6px;vertical-align:middle}
.curves .swatch.faint{background:#0b6fa4;opacity:.3;height:3px}
.curves .swatch.bold{background:#0b4f75;height:4px}
form.chart-form{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:12px 16px;align-items:end}
figure.chart{margin:0 0 12px;max-width:900px}
.curves figure.chart,.lifecycle figure.chart{margin:0;max-width:820px}
figure.chart .legend{display:flex;gap:4px 16px;flex-wrap:wrap;font-size:13px;margin-top:4px}
${CHART_STYLE}
@media (max-width:639.98px){main{padding:14px 12px}.card{padding:12px}}
.legend-item{display:inline-flex;align-items:center;gap:6px}
.swatch{display:inline-block;width:14px;height:4px;border-radius:2px}
.swatch.dashed{width:19px;border-radius:0}
td.trend{text-align:left}
img.sparkline{vertical-align:middle;display:inline-block}
details.chart-data summary{cursor:pointer;color:var(--accent);margin:6px 0}
`;

/** Progressive enhancement: counts/percent switch in place, add/remove additional events. The page works without it. */
export const DASHBOARD_SCRIPT = `
(function () {
  var table = document.querySelector('table.cohort');
  var links = document.querySelectorAll('[data-display]');
  links.forEach(function (link) {
    link.addEventListener('click', function (event) {
      if (!table) return;
      event.preventDefault();
      var display = link.getAttribute('data-display');
      table.classList.toggle('show-percent', display === 'percent');
      links.forEach(function (other) { other.classList.toggle('active', other === link); });
      var radio = document.querySelector('input[name=display][value=' + display + ']');
      if (radio) radio.checked = true;
      var csv = document.querySelector('a.csv');
      if (csv) csv.setAttribute('href', link.getAttribute('data-csv'));
      history.replaceState(null, '', link.getAttribute('href'));
    });
  });
  var rows = document.querySelector('.additional');
  var add = document.querySelector('button.add-event');
  if (!rows || !add) return;
  var max = Number(rows.getAttribute('data-max'));
  var refresh = function () { add.hidden = rows.children.length >= max; };
  var clear = function (row) {
    row.querySelectorAll('select').forEach(function (select) { select.selectedIndex = 0; });
    row.querySelectorAll('input').forEach(function (input) { input.value = ''; });
  };
  refresh();
  add.addEventListener('click', function () {
    var copy = rows.lastElementChild.cloneNode(true);
    clear(copy);
    rows.appendChild(copy);
    refresh();
  });
  rows.addEventListener('click', function (event) {
    var button = event.target.closest('button.remove');
    if (!button) return;
    var row = button.closest('.additional-row');
    if (rows.children.length > 1) row.remove();
    else clear(row);
    refresh();
  });
  document.querySelectorAll('button.remove').forEach(function (button) { button.hidden = false; });
})();
`;

/**
 * The Content-Security-Policy of every dashboard answer: the page's own script (by its hash) and nothing else
 * runs, styles are inline only, images come from the dashboard (the sparklines), forms submit to it, and only
 * pages of the same origin may frame it. An event name an attacker chose can never bring a script or a
 * stylesheet in, whatever escaping misses.
 */
export const DASHBOARD_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src 'sha256-${createHash('sha256').update(DASHBOARD_SCRIPT).digest('base64')}'`,
  "style-src 'unsafe-inline'",
  "img-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'self'",
].join('; ');
