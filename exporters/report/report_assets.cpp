// The page's inline stylesheet and script: nothing is fetched, so the file
// opens anywhere, is attached to a postmortem and prints.
#include "report_svg.h"

namespace hupwatch {

const char* const kReportCss = R"CSS(
body{font:13px/1.35 system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:20px;margin:0 0 8px}
h2{font-size:14px;margin:14px 0 4px;display:inline-block}
table.summary{border-collapse:collapse;margin-bottom:8px}
table.summary th{text-align:left;padding:2px 14px 2px 0;vertical-align:top;font-weight:600}
table.summary td{padding:2px 0}
.count{display:inline-block;background:#eef;border-radius:3px;padding:0 5px;margin-right:4px}
.keys{color:#555}
kbd{border:1px solid #bbb;border-radius:3px;padding:0 3px;font-size:11px}
section.lane{margin:10px 0;border-top:1px solid #ddd}
svg.tl{display:block;font:11px system-ui,sans-serif}
svg text{fill:#222}
.legend{font:11px system-ui,sans-serif}
.axis line{stroke:#e6e6e6}
.axis text{fill:#666;text-anchor:middle}
.bar{fill:#a9c4e0}
.p.job .bar{fill:#4a7fb5}
.p.v-killed_by_disconnect .bar,.p.v-killed_by_logout .bar,.p.v-killed .bar,
.p.v-died_after_disconnect .bar{fill:#c0392b}
.p.v-orphaned .bar,.p.v-daemonized .bar{fill:#e69500}
.p.risk .bar{stroke:#c0392b;stroke-width:1.5;stroke-dasharray:3 2}
.lost{fill:url(#hatch);opacity:.65}
.death path{stroke:#000;stroke-width:2}
.death text,.alive text{font-weight:600}
.alive text,.west text{text-anchor:end}
.west text{transform:translateX(-10px)}
.west.alive text{transform:none}
.axis .west text{text-anchor:middle;transform:none}
.axis .edge-l text{text-anchor:start}
.axis .edge-r text{text-anchor:end}
.mark line{stroke-width:2}
.hangup line{stroke:#c0392b}
.hangup text{fill:#c0392b;font-weight:600}
.ended line{stroke:#555;stroke-dasharray:4 3}
.arrow line{stroke-width:1.5}
.o-kernel line{stroke:#c0392b;stroke-dasharray:5 3}
.o-user line{stroke:#1f5fa8}
.r-ignored line,.r-already_pending line,.r-overflow line,.r-lost_info line{opacity:.5;
stroke-dasharray:1 3}
.arrow text{font-size:10px}
.reparent line{stroke:#2e8b57;stroke-dasharray:2 2}
.reparent text{fill:#2e8b57}
.gap{fill:url(#hatch);opacity:.9}
.gaplabel text{fill:#444;font-style:italic}
.gapkey{font-style:italic;color:#444}
.p,.lbl{cursor:pointer}
details summary{cursor:pointer;color:#1f5fa8}
details.quiet summary h2{color:#555}
#why{position:fixed;right:12px;bottom:12px;width:480px;max-height:50vh;overflow:auto;
background:#fffef4;border:1px solid #bbb;border-radius:6px;padding:8px 12px;
box-shadow:0 2px 8px rgba(0,0,0,.2)}
#why h3{margin:0 0 4px}
#why p{margin:2px 0}
#why .cmd{font-family:monospace;word-break:break-all}
#why .verdict{font-weight:600}
#why ul{margin:4px 0;padding-left:18px;font-family:monospace;font-size:11px}
@media print{.keys,#why{display:none}body{margin:0}section.lane{break-inside:avoid}}
)CSS";

// Zoom and pan move every element that carries a time (data-t, data-t0/t1:
// ms since the window's start), and name the window they show on <html>
// (data-view-ms); the why panel is filled from the page's
// JSON on hover (or pinned by a click). The last lines record, in
// data-drawn-ms, when the page was parsed and laid out (performance.now()).
const char* const kReportJs = R"JS(
(function () {
  'use strict';
  const root = document.documentElement;
  const span = parseFloat(root.dataset.spanMs);
  const L = +root.dataset.labelWidth, W = +root.dataset.plotWidth;
  let k = 1, v0 = 0;
  const x = (t) => L + (t - v0) * W * k / span;
  // The visible window, "from to" in ms since the window's start: what a
  // reader (or a test) sees the keys do.
  const showView = () => root.setAttribute('data-view-ms', v0.toFixed(3) + ' ' + (v0 + span / k).toFixed(3));
  showView();
  function layout() {
    showView();
    for (const el of document.querySelectorAll('[data-t0]')) {
      const a = x(+el.dataset.t0), b = Math.max(x(+el.dataset.t1), a + 1);
      el.setAttribute('x', a.toFixed(1));
      el.setAttribute('width', (b - a).toFixed(1));
    }
    for (const el of document.querySelectorAll('[data-t]'))
      el.setAttribute('transform', 'translate(' + x(+el.dataset.t).toFixed(1) + ',0)');
    for (const el of document.querySelectorAll('.axis .tick')) {
      const at = x(+el.dataset.t);
      el.classList.toggle('edge-l', at < L + 30);
      el.classList.toggle('edge-r', at > L + W - 30);
    }
  }
  document.addEventListener('keydown', (e) => {
    const view = span / k, mid = v0 + view / 2;
    if (e.key === '+' || e.key === '=') k = Math.min(k * 2, 1e6);
    else if (e.key === '-' || e.key === '_') k = Math.max(k / 2, 1);
    else if (e.key === 'ArrowRight') v0 += view / 5;
    else if (e.key === 'ArrowLeft') v0 -= view / 5;
    else if (e.key === '0') { k = 1; v0 = 0; }
    else return;
    if ('+=-_'.includes(e.key)) v0 = mid - span / k / 2;
    v0 = Math.min(Math.max(v0, 0), span - span / k);
    e.preventDefault();
    layout();
  });
  // Folded rows are drawn when first unfolded (report_svg.h, folded_rows_json).
  const esc = (s) => s.replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
  function unfold(d) {
    if (d.dataset.built) return;
    d.dataset.built = '1';
    const rows = JSON.parse(d.querySelector('script.rows').textContent);
    const top = +root.dataset.topHeight, h = 18, height = top + rows.length * h + 4, id = 'cf' + d.dataset.sid;
    let labels = '', plot = '';
    rows.forEach(([key, label, depth, t0, t1, td], i) => {
      const y = top + i * h, a = x(t0), b = Math.max(x(t1), a + 1);
      labels += `<text class="lbl" data-key="${key}" x="${4 + depth * 12}" y="${y + 13}">` +
        `${esc(label)}</text>`;
      plot += `<g class="p" data-key="${key}" data-pid="${key.split(':')[0]}"><rect class="bar" ` +
        `data-t0="${t0}" data-t1="${t1}" x="${a.toFixed(1)}" y="${y + 4}" ` +
        `width="${(b - a).toFixed(1)}" height="10"/>`;
      if (td !== null)
        plot += `<g class="death" data-t="${td}" transform="translate(${x(td).toFixed(1)},0)">` +
          `<path d="M-4 ${y + 5}l8 8M4 ${y + 5}l-8 8"/></g>`;
      plot += '</g>';
    });
    d.insertAdjacentHTML('beforeend', `<svg class="tl" width="${L + W + 8}" height="${height}">` +
      `<clipPath id="${id}"><rect x="${L}" y="0" width="${W + 8}" height="${height}"/></clipPath>` +
      `${labels}<g clip-path="url(#${id})">${plot}</g></svg>`);
  }
  document.addEventListener('toggle', (e) => {
    if (e.target.classList && e.target.classList.contains('fold') && e.target.open) unfold(e.target);
  }, true);
  // page.html#unfold-all opens every fold (to print everything, and for tests).
  if (location.hash === '#unfold-all')
    for (const d of document.querySelectorAll('details')) { d.open = true; if (d.classList.contains('fold')) unfold(d); }
  const panel = document.getElementById('why');
  let why = null, pinned = null;
  function add(parent, tag, text, cls) {
    const el = document.createElement(tag);
    el.textContent = text;
    if (cls) el.className = cls;
    parent.appendChild(el);
    return el;
  }
  function show(key) {
    why = why || JSON.parse(document.getElementById('why-data').textContent);
    const w = why[key];
    if (!w) return;
    panel.replaceChildren();
    add(panel, 'h3', w.label);
    add(panel, 'p', 'lineage: ' + (w.lineage.length ? w.lineage.join(' \u2190 ') : 'not recorded'));
    add(panel, 'p', 'command: ' + w.command, 'cmd');
    add(panel, 'p', 'end: ' + w.end);
    for (const v of w.verdicts) add(panel, 'p', v, 'verdict');
    if (w.evidence.length) {
      const ul = add(panel, 'ul', '');
      for (const line of w.evidence) add(ul, 'li', line);
    }
    panel.hidden = false;
  }
  const target = (e) => {
    const el = e.target.closest && e.target.closest('[data-key]');
    return el && el.closest('svg.tl') ? el : null;
  };
  document.addEventListener('mouseover', (e) => {
    const el = target(e);
    if (el && !pinned) show(el.dataset.key);
  });
  document.addEventListener('click', (e) => {
    const el = target(e);
    if (el) {
      pinned = pinned === el.dataset.key ? null : el.dataset.key;
      show(el.dataset.key);
    } else if (!(e.target.closest && e.target.closest('#why'))) {
      pinned = null;
      panel.hidden = true;
    }
  });
  document.body.getBoundingClientRect();
  root.setAttribute('data-drawn-ms', performance.now().toFixed(1));
})();
)JS";

}  // namespace hupwatch
