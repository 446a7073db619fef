/** The page shell: no figure is in it (they come from /api/dashboard), so it needs no token. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Web4 agent: serving, nights and mornings</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/dashboard.js" defer></script>
</head>
<body>
<header>
  <h1>Web4 agent</h1>
  <p id="window">Reading the figures…</p>
  <div class="controls">
    <label>Window <select id="days">
      <option value="1">1 day</option><option value="7">7 days</option><option value="14">14 days</option><option value="30">30 days</option><option value="90">90 days</option>
    </select></label>
    <button id="reload" type="button">Reload</button>
  </div>
</header>
<form id="token-form" hidden>
  <p id="token-message"></p>
  <label>Bearer token <input id="token-input" type="password" autocomplete="off"></label>
  <button type="submit">Use it</button>
</form>
<p id="error" class="error" hidden></p>
<p id="nothing" class="empty" hidden>No data yet: nothing has been recorded in this window. Queries through the gateway, <code>web4 evening run</code> and <code>web4 validate</code> fill this page.</p>
<main>
  <section class="card checks-card"><h2>Targets (as <code>web4 monitor report</code>)</h2><ul id="checks"></ul></section>
  <section class="card" id="chart-latency" data-chart="latency"></section>
  <section class="card" id="chart-tiers" data-chart="tiers"></section>
  <section class="card" id="chart-categories" data-chart="categories"></section>
  <section class="card" id="chart-satisfaction" data-chart="satisfaction"></section>
  <section class="card" id="chart-mornings" data-chart="mornings"></section>
  <section class="card wide" id="chart-nights" data-chart="nights"></section>
</main>
<footer>Figures read from this state root's logs/production_metrics.db and logs/user_feedback.db, the same as <code>web4 monitor report</code>, <code>monitor query-types</code>, <code>feedback rate</code>, <code>evening history</code> and <code>validate --history</code>. JSON: <code>/api/dashboard?days=N</code>.</footer>
</body>
</html>
`;

export const DASHBOARD_CSS = `
:root { --pass: #2e8540; --warn: #c7791a; --muted: #777; --band: rgba(46,133,64,.16); --band-accepted: rgba(46,133,64,.07); font-family: system-ui, sans-serif; color: #1d1d1d; background: #f6f6f4; }
body { margin: 0 auto; max-width: 1400px; padding: 16px 24px; }
header { display: flex; align-items: baseline; gap: 24px; flex-wrap: wrap; }
h1 { font-size: 1.4rem; margin: 0; }
h2 { font-size: 1rem; margin: 0 0 6px; }
#window { color: var(--muted); margin: 0; flex: 1; }
.controls { display: flex; gap: 8px; align-items: center; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; margin-top: 16px; }
.card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 12px 14px; }
.wide { grid-column: 1 / -1; }
.caption, .legend { color: var(--muted); font-size: .85rem; margin: 0 0 4px; }
.empty { color: var(--muted); font-style: italic; }
.error { color: #a40000; }
#checks { list-style: none; padding: 0; margin: 0; display: grid; grid-template-columns: auto 1fr auto auto; gap: 2px 12px; }
#checks li { display: contents; }
#checks .shown { text-align: right; font-variant-numeric: tabular-nums; }
#checks .target, #checks li.unknown { color: var(--muted); }
#checks li.warn .mark, #checks li.warn .shown { color: var(--warn); }
#checks li.pass .mark { color: var(--pass); }
.chart-svg { width: 100%; height: auto; display: block; }
.grid { stroke: #eee; }
.axis { stroke: #999; }
.tick { font-size: 11px; fill: #666; }
.target { stroke: #a40000; stroke-dasharray: 6 4; stroke-width: 1.5; }
.target-label { font-size: 11px; fill: #a40000; }
.band { fill: var(--band); }
.band.accepted { fill: var(--band-accepted); }
.series { fill: none; stroke-width: 2; }
.series.main { stroke: #3f6fb5; }
.series.p95 { stroke: #9bb3d8; stroke-dasharray: 4 3; }
.point.pass, .bar.pass { fill: var(--pass); }
.point.warn, .bar.warn { fill: var(--warn); }
.bar.unknown { fill: #9a9a9a; }
.value-label { font-size: 11px; fill: #333; }
.loss.production { fill: #b9c9e6; }
.loss.candidate { fill: #3f6fb5; }
.status-rejected, .status-failed, .status-open { fill: var(--warn); }
.status-complete { fill: var(--pass); }
.legend .key { margin-right: 12px; white-space: nowrap; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
.swatch-pure_trained { background: #2f6f4f; } .swatch-tools { background: #3f6fb5; } .swatch-history { background: #b5813f; }
.swatch-trainai { background: #8a4fb5; } .swatch-graph { background: #4fa3a5; } .swatch-multiple { background: #9a9a9a; }
table.nights { border-collapse: collapse; width: 100%; font-size: .85rem; margin-top: 8px; }
table.nights th, table.nights td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eee; vertical-align: top; white-space: nowrap; }
table.nights td:last-child { white-space: normal; }
.gate { display: inline-block; margin-right: 10px; }
.gate.pass { color: var(--pass); } .gate.warn { color: var(--warn); }
footer { color: var(--muted); font-size: .8rem; margin-top: 16px; }
#token-form { background: #fff8e5; border: 1px solid #e6c77a; padding: 8px 12px; margin-top: 12px; border-radius: 6px; }
`;
