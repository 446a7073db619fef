/**
 * The dashboard page's script, served as /assets/dashboard.js (no CDN: the gateway may run
 * without internet). It fetches /api/dashboard and draws every chart as inline SVG; each drawn
 * mark carries the figure it stands for in data-* attributes, exactly as the JSON gave it, so a
 * browser test can compare the page with the library's figures.
 *
 * Kept as a string (not a function's source): the CLI is bundled by esbuild and run through
 * tsx, both of which may rewrite a function's body with helpers the browser does not have.
 * It must not contain a backtick or a dollar-brace.
 */
export const DASHBOARD_SCRIPT = String.raw`(function () {
  'use strict';
  var TOKEN_KEY = 'web4.gatewayToken';
  var NS = 'http://www.w3.org/2000/svg';
  var H = 250, L = 52, R = 16, T = 14, B = 46;
  var CATEGORY_COLOR = { pure_trained: '#2f6f4f', tools: '#3f6fb5', history: '#b5813f', trainai: '#8a4fb5', graph: '#4fa3a5', multiple: '#9a9a9a' };
  var MARK = { pass: '\u2713', warn: '\u26a0\ufe0f', unknown: '\u2013' };

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function s(tag, attrs, text) {
    var node = document.createElementNS(NS, tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function titled(node, text) { node.appendChild(s('title', {}, text)); return node; }
  function pct(v) { return v === null || v === undefined ? '\u2013' : v.toFixed(1) + '%'; }
  function ms(v) { return v === null || v === undefined ? '\u2013' : Math.round(v) + ' ms'; }
  function loss(v) { return typeof v === 'number' ? v.toFixed(3) : '\u2013'; }
  function shortDay(day) { return day.slice(5); }

  // ---- token: #token=… once (never sent to the server, removed from the address bar), then this tab's sessionStorage
  function takeTokenFromHash() {
    var m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    if (!m) return;
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  function showTokenForm(message) {
    var form = $('token-form');
    $('token-message').textContent = message;
    form.hidden = false;
    $('token-input').focus();
  }

  // ---- axes and scales
  function frame(svg, labels, yMax, yFormat) {
    var W = svg.w, plotW = W - L - R, plotH = H - T - B;
    var x = function (i) { return L + (plotW * (i + 0.5)) / Math.max(labels.length, 1); };
    var y = function (v) { return T + plotH - (plotH * Math.min(v, yMax)) / yMax; };
    var step = Math.max(1, Math.ceil(labels.length / 10));
    for (var t = 0; t <= 4; t++) {
      var v = (yMax * t) / 4;
      svg.appendChild(s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }));
      svg.appendChild(s('text', { x: L - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, yFormat(v)));
    }
    labels.forEach(function (label, i) {
      if (i % step === 0) svg.appendChild(s('text', { x: x(i), y: H - B + 16, class: 'tick', 'text-anchor': 'middle' }, label));
    });
    svg.appendChild(s('line', { x1: L, x2: W - R, y1: y(0), y2: y(0), class: 'axis' }));
    return { x: x, y: y, slot: plotW / Math.max(labels.length, 1), right: W - R };
  }
  function band(svg, f, range, cls, text) {
    svg.appendChild(titled(s('rect', { x: L, width: f.right - L, y: f.y(range.max), height: Math.max(1, f.y(range.min) - f.y(range.max)), class: cls, 'data-min': range.min, 'data-max': range.max }), text));
  }
  function targetLine(svg, f, value, text) {
    svg.appendChild(titled(s('line', { x1: L, x2: f.right, y1: f.y(value), y2: f.y(value), class: 'target', 'data-target': value }), text));
    svg.appendChild(s('text', { x: L + 4, y: f.y(value) - 4, class: 'target-label', 'text-anchor': 'start' }, text));
  }
  function niceMax(values, floor) {
    var max = Math.max.apply(null, values.filter(function (v) { return typeof v === 'number'; }).concat([floor, 1e-9]));
    var mag = Math.pow(10, Math.floor(Math.log10(max * 1.15)));
    return Math.ceil((max * 1.15) / mag) * mag;
  }
  function newSvg(label, width) {
    var svg = s('svg', { viewBox: '0 0 ' + (width || 640) + ' ' + H, role: 'img', 'aria-label': label, class: 'chart-svg' });
    svg.w = width || 640;
    return svg;
  }
  function line(svg, points, cls) {
    // A day without data breaks the line instead of drawing a made-up value.
    var d = '', pen = false;
    points.forEach(function (p) {
      if (p === null) { pen = false; return; }
      d += (pen ? 'L' : 'M') + p[0].toFixed(1) + ' ' + p[1].toFixed(1) + ' ';
      pen = true;
    });
    if (d) svg.appendChild(s('path', { d: d, class: cls }));
  }

  // ---- one card per chart
  function card(name, hasData, title, caption, draw) {
    var section = $('chart-' + name);
    section.setAttribute('data-state', hasData ? 'data' : 'empty');
    section.textContent = '';
    section.appendChild(el('h2', {}, title));
    if (!hasData) {
      section.appendChild(el('p', { class: 'empty' }, 'no data yet'));
      return;
    }
    if (caption) section.appendChild(el('p', { class: 'caption' }, caption));
    draw(section);
  }

  function drawLatency(data) {
    var stat = data.targets.latencyStatistic;
    var key = { avg: 'avgLatencyMs', p50: 'p50LatencyMs', p95: 'p95LatencyMs' }[stat];
    var days = data.monitoring.statistics.days;
    var check = data.monitoring.checks.filter(function (c) { return c.id === 'latency'; })[0];
    card('latency', data.has.latency, 'Latency per day (' + stat + ', target \u2264 ' + data.targets.latencyMs + ' ms)',
      'Window ' + stat + ': ' + check.shown + ' ' + MARK[check.status] + '  \u00b7  dashed: p95', function (section) {
        var svg = newSvg('latency per day (ms)');
        var values = days.map(function (d) { return d[key]; }).concat(days.map(function (d) { return d.p95LatencyMs; }));
        var f = frame(svg, days.map(function (d) { return shortDay(d.day); }), niceMax(values, data.targets.latencyMs), function (v) { return Math.round(v) + ''; });
        targetLine(svg, f, data.targets.latencyMs, 'target ' + data.targets.latencyMs + ' ms');
        line(svg, days.map(function (d, i) { return d.p95LatencyMs === null ? null : [f.x(i), f.y(d.p95LatencyMs)]; }), 'series p95');
        line(svg, days.map(function (d, i) { return d[key] === null ? null : [f.x(i), f.y(d[key])]; }), 'series main');
        days.forEach(function (d, i) {
          if (d[key] === null) return;
          var over = d[key] > data.targets.latencyMs;
          svg.appendChild(titled(s('circle', { cx: f.x(i), cy: f.y(d[key]), r: 4, class: 'point ' + (over ? 'warn' : 'pass'), 'data-day': d.day, 'data-series': stat, 'data-value': d[key], 'data-queries': d.queries }),
            d.day + ': ' + ms(d[key]) + ' ' + stat + ', p95 ' + ms(d.p95LatencyMs) + ', ' + d.queries + ' queries'));
        });
        section.appendChild(svg);
      });
  }

  function drawTiers(data) {
    var total = data.monitoring.statistics.total;
    var bands = { history: data.targets.historyPct, tools: data.targets.toolsPct, trainai: data.targets.trainaiPct, graph: null };
    var checks = {};
    data.monitoring.checks.forEach(function (c) { checks[c.id] = c; });
    card('tiers', data.has.tiers, 'Tier hit rates against their bands', 'Over ' + total.queries + ' queries in the window; shaded: the target band', function (section) {
      var svg = newSvg('tier hit rates');
      var tiers = ['history', 'tools', 'trainai', 'graph'];
      var f = frame(svg, tiers.map(function (t) { return t === 'trainai' ? 'TrainAI' : t; }), 100, function (v) { return v + '%'; });
      tiers.forEach(function (tier, i) {
        var value = total.hitRatePct[tier];
        var check = checks['hit_rate_' + tier];
        var b = bands[tier];
        if (b) svg.appendChild(titled(s('rect', { x: f.x(i) - f.slot * 0.4, width: f.slot * 0.8, y: f.y(b.max), height: f.y(b.min) - f.y(b.max), class: 'band', 'data-min': b.min, 'data-max': b.max }), 'band ' + b.min + '-' + b.max + '%'));
        svg.appendChild(titled(s('rect', { x: f.x(i) - f.slot * 0.2, width: f.slot * 0.4, y: f.y(value), height: f.y(0) - f.y(value), class: 'bar ' + check.status, 'data-tier': tier, 'data-value': value, 'data-status': check.status }),
          tier + ': ' + check.shown + (b ? ' (band ' + b.min + '-' + b.max + '%)' : ' (no target)')));
        svg.appendChild(s('text', { x: f.x(i), y: f.y(value) - 5, class: 'value-label', 'text-anchor': 'middle', 'data-tier-label': tier }, check.shown + ' ' + MARK[check.status]));
      });
      section.appendChild(svg);
    });
  }

  function drawCategories(data) {
    var tf = data.targets.pureTrainedPct, acc = data.targets.pureTrainedAcceptedPct;
    card('categories', data.has.categories, 'Query categories per day (Training-First: pure trained ' + tf.min + '-' + tf.max + '%, accepted ' + acc.min + '-' + acc.max + '%)',
      'Pure trained is the bottom segment: its top should fall in the dark band', function (section) {
        var svg = newSvg('query categories per day');
        var f = frame(svg, data.queryTypes.map(function (q) { return shortDay(q.day); }), 100, function (v) { return v + '%'; });
        band(svg, f, acc, 'band accepted', 'accepted ' + acc.min + '-' + acc.max + '%');
        band(svg, f, tf, 'band', 'target ' + tf.min + '-' + tf.max + '%');
        data.queryTypes.forEach(function (q, i) {
          if (q.queries === 0) return;
          var base = 0;
          q.categories.forEach(function (c) {
            if (!c.count) return;
            svg.appendChild(titled(s('rect', { x: f.x(i) - f.slot * 0.3, width: f.slot * 0.6, y: f.y(base + c.pct), height: f.y(base) - f.y(base + c.pct), fill: CATEGORY_COLOR[c.category], class: 'segment', 'data-day': q.day, 'data-category': c.category, 'data-value': c.pct, 'data-count': c.count }),
              q.day + ' ' + c.label + ': ' + pct(c.pct) + ' (' + c.count + ')'));
            base += c.pct;
          });
          svg.appendChild(titled(s('text', { x: f.x(i), y: H - B + 32, class: 'tick', 'text-anchor': 'middle', 'data-day': q.day, 'data-verdict': q.trainingFirst.verdict }, MARK[q.trainingFirst.status]), 'Training-First ' + q.trainingFirst.verdict + ': ' + pct(q.trainingFirst.pct) + ' pure trained'));
        });
        section.appendChild(svg);
        var legend = el('p', { class: 'legend' });
        data.queryTypes[0].categories.forEach(function (c) {
          var key = el('span', { class: 'key' });
          key.appendChild(el('span', { class: 'swatch swatch-' + c.category }));
          key.appendChild(document.createTextNode(c.label));
          legend.appendChild(key);
        });
        section.appendChild(legend);
      });
  }

  function drawSatisfaction(data) {
    var sat = data.satisfaction;
    var w = sat.window;
    card('satisfaction', data.has.satisfaction, 'Satisfaction per day (target \u2265 ' + w.targetPct + '%)',
      'Window: ' + pct(w.ratePct) + ' (' + w.up + '/' + w.total + ') ' + MARK[w.status], function (section) {
        var svg = newSvg('satisfaction per day');
        var f = frame(svg, sat.days.map(function (d) { return shortDay(d.day); }), 100, function (v) { return v + '%'; });
        targetLine(svg, f, w.targetPct, 'target ' + w.targetPct + '%');
        sat.days.forEach(function (d, i) {
          if (d.ratePct === null) return;
          var cls = d.ratePct >= w.targetPct ? 'pass' : 'warn';
          svg.appendChild(titled(s('rect', { x: f.x(i) - f.slot * 0.3, width: f.slot * 0.6, y: f.y(d.ratePct), height: Math.max(1, f.y(0) - f.y(d.ratePct)), class: 'bar ' + cls, 'data-day': d.day, 'data-value': d.ratePct, 'data-up': d.up, 'data-total': d.total }),
            d.day + ': ' + pct(d.ratePct) + ' (' + d.up + '/' + d.total + ')'));
          svg.appendChild(s('text', { x: f.x(i), y: f.y(d.ratePct) - 5, class: 'value-label', 'text-anchor': 'middle' }, d.up + '/' + d.total));
        });
        section.appendChild(svg);
      });
  }

  function drawNights(data) {
    var nights = data.nights;
    card('nights', data.has.nights, 'Nightly runs: loss on the night\u2019s PDCAs, production \u2192 candidate, and the gates', 'Light bar: production, dark bar: candidate (lower: it learned)', function (section) {
      var svg = newSvg('nightly runs', 1300);
      var values = [];
      nights.forEach(function (n) { if (n.night) values.push(n.night.production, n.night.candidate); });
      var label = function (n) { var m = /^night_\d{4}(\d{2})(\d{2})_(\d{2})(\d{2})/.exec(n.runId); return m ? m[1] + '-' + m[2] + ' ' + m[3] + ':' + m[4] : n.runId; };
      var f = frame(svg, nights.map(label), niceMax(values, 0.1), function (v) { return v.toFixed(2); });
      nights.forEach(function (n, i) {
        ['production', 'candidate'].forEach(function (series, k) {
          var v = n.night ? n.night[series] : null;
          if (typeof v !== 'number') return;
          var bw = Math.min(f.slot * 0.28, 56);
          svg.appendChild(titled(s('rect', { x: f.x(i) - bw - 1 + k * (bw + 2), width: bw, y: f.y(v), height: f.y(0) - f.y(v), class: 'loss ' + series, 'data-run': n.runId, 'data-series': series, 'data-value': v }),
            n.runId + ' ' + series + ' night loss ' + loss(v)));
        });
        svg.appendChild(titled(s('text', { x: f.x(i), y: H - B + 32, class: 'tick status-' + n.status, 'text-anchor': 'middle', 'data-run': n.runId, 'data-status': n.status }, n.status), n.runId + ': ' + n.status));
      });
      section.appendChild(svg);
      var table = el('table', { class: 'nights' });
      var head = el('tr');
      ['night', 'status', 'items', 'night loss', 'retention', 'canaries', 'gates'].forEach(function (h) { head.appendChild(el('th', {}, h)); });
      table.appendChild(head);
      nights.slice().reverse().forEach(function (n) {
        var row = el('tr', { 'data-run': n.runId });
        var change = function (x) { return x && typeof x.production === 'number' && typeof x.candidate === 'number' ? loss(x.production) + ' \u2192 ' + loss(x.candidate) : '\u2013'; };
        [n.runId, n.status, n.items === null ? '\u2013' : String(n.items), change(n.night), change(n.retention), n.canaries || '\u2013'].forEach(function (cell) { row.appendChild(el('td', {}, cell)); });
        var gates = el('td');
        (n.gates || []).forEach(function (g) {
          gates.appendChild(el('span', { class: 'gate ' + (g.pass ? 'pass' : 'warn'), 'data-gate': g.gate, 'data-pass': String(g.pass), title: g.target + (g.reason ? ': ' + g.reason : '') }, (g.pass ? MARK.pass : MARK.warn) + ' ' + g.gate + ' ' + g.measured));
        });
        if (!n.gates) gates.textContent = '\u2013';
        row.appendChild(gates);
        table.appendChild(row);
      });
      section.appendChild(table);
    });
  }

  function drawMornings(data) {
    var mornings = data.mornings;
    var byDay = {};
    mornings.forEach(function (m) { byDay[m.day] = m; });
    var days = data.monitoring.statistics.days.map(function (d) { return d.day; });
    card('mornings', data.has.mornings, 'Morning checks: pass rate over days (minimum ' + data.targets.minPassRatePct + '%)', 'Labels: change in points against the previous check', function (section) {
      var svg = newSvg('morning pass rate');
      var f = frame(svg, days.map(shortDay), 100, function (v) { return v + '%'; });
      targetLine(svg, f, data.targets.minPassRatePct, 'minimum ' + data.targets.minPassRatePct + '%');
      line(svg, days.map(function (day, i) { return byDay[day] ? [f.x(i), f.y(byDay[day].passRatePct)] : null; }), 'series main');
      days.forEach(function (day, i) {
        var m = byDay[day];
        if (!m) return;
        svg.appendChild(titled(s('circle', { cx: f.x(i), cy: f.y(m.passRatePct), r: 4, class: 'point ' + (m.pass ? 'pass' : 'warn'), 'data-day': day, 'data-value': m.passRatePct, 'data-change': m.changePct === null ? '' : m.changePct, 'data-version': m.modelVersion || '' }),
          day + ': ' + m.passed + '/' + m.total + ' (' + pct(m.passRatePct) + ') ' + (m.modelVersion || '?') + (m.flipped.length ? ', pass \u2192 fail: ' + m.flipped.join(', ') : '')));
        if (m.changePct !== null) svg.appendChild(s('text', { x: f.x(i), y: f.y(m.passRatePct) - 8, class: 'value-label', 'text-anchor': 'middle' }, (m.changePct > 0 ? '+' : '') + m.changePct.toFixed(1) + ' pt'));
      });
      section.appendChild(svg);
    });
  }

  function drawChecks(data) {
    var list = $('checks');
    list.textContent = '';
    data.monitoring.checks.forEach(function (c) {
      var item = el('li', { class: c.status, 'data-check': c.id, 'data-status': c.status });
      item.appendChild(el('span', { class: 'mark' }, MARK[c.status]));
      item.appendChild(el('span', { class: 'label' }, c.label));
      item.appendChild(el('span', { class: 'shown' }, c.shown));
      item.appendChild(el('span', { class: 'target' }, 'target ' + c.target));
      list.appendChild(item);
    });
  }

  function render(data) {
    $('window').textContent = 'Last ' + data.window.days + ' day' + (data.window.days === 1 ? '' : 's') + ', ' + data.window.from + ' to ' + data.window.to + ' (UTC) \u00b7 read ' + data.generatedAt.replace('T', ' ').slice(0, 19) + ' UTC';
    var select = $('days');
    if (!Array.prototype.some.call(select.options, function (o) { return o.value === String(data.window.days); })) select.appendChild(el('option', { value: String(data.window.days) }, data.window.days + ' days'));
    select.value = String(data.window.days);
    var any = Object.keys(data.has).some(function (k) { return data.has[k]; });
    $('nothing').hidden = any;
    drawChecks(data);
    drawLatency(data);
    drawTiers(data);
    drawCategories(data);
    drawSatisfaction(data);
    drawNights(data);
    drawMornings(data);
    document.body.setAttribute('data-loaded', 'true');
  }

  function load() {
    var days = new URLSearchParams(location.search).get('days');
    var token = sessionStorage.getItem(TOKEN_KEY);
    var headers = token ? { Authorization: 'Bearer ' + token } : {};
    $('error').hidden = true;
    fetch('/api/dashboard' + (days ? '?days=' + encodeURIComponent(days) : ''), { headers: headers, cache: 'no-store' })
      .then(function (res) {
        if (res.status === 401) {
          showTokenForm(token ? 'The gateway refused that token: type the right one.' : 'This gateway requires its bearer token: type it once (kept in this tab only).');
          return null;
        }
        return res.json().then(function (body) {
          if (!res.ok) throw new Error(body && body.error ? body.error : 'HTTP ' + res.status);
          return body;
        });
      })
      .then(function (data) { if (data) { $('token-form').hidden = true; render(data); } })
      .catch(function (error) {
        $('error').textContent = 'Could not read the figures: ' + error.message;
        $('error').hidden = false;
        document.body.setAttribute('data-loaded', 'error');
      });
  }

  takeTokenFromHash();
  $('token-form').addEventListener('submit', function (event) {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token-input').value.trim());
    load();
  });
  $('days').addEventListener('change', function () {
    history.replaceState(null, '', location.pathname + '?days=' + encodeURIComponent($('days').value));
    load();
  });
  $('reload').addEventListener('click', load);
  load();
  // Live enough to watch a day being played: read again every minute while the tab is shown.
  setInterval(function () { if (document.visibilityState === 'visible' && $('token-form').hidden) load(); }, 60000);
})();
`;
