/*
 * The KPI dashboard: reads /v1/kpi/units, /v1/kpi/late-units and /v1/kpi/trend for one ISO week and shows them as
 * two tables and two SVG charts drawn here (no library, no inline script or style: the page's CSP forbids both): the
 * city's on-time rate by week, and the citizens' satisfaction with each rated unit that week (the feedback module's
 * ratings, which /v1/kpi/units carries as `satisfaction`). Every text from the API is inserted as text, never markup.
 * The week comes from ?week=YYYY-Www in the page's address, else it is the current week in Hanoi (UTC+7).
 */
(function () {
  'use strict';

  var TEXT = {
    vi: {
      title: 'Chỉ số giải quyết thủ tục hành chính',
      subtitle: 'Thành phố Hà Nội — số liệu theo tuần, cập nhật mỗi phút',
      weekLabel: 'Tuần',
      show: 'Xem',
      lateTitle: 'Đơn vị chậm trong tuần',
      unitsTitle: 'Chỉ số theo đơn vị',
      trendTitle: 'Tỉ lệ đúng hạn toàn thành phố theo tuần',
      colUnit: 'Đơn vị',
      colReceived: 'Tiếp nhận',
      colOnTime: 'Đúng hạn',
      colLate: 'Trễ hạn',
      colInProgress: 'Đang giải quyết',
      colOverdue: 'Quá hạn',
      colRate: 'Tỉ lệ đúng hạn',
      colReasons: 'Lý do',
      colSatisfaction: 'Hài lòng',
      satisfactionTitle: 'Mức độ hài lòng của người dân theo đơn vị',
      satisfactionCaption: function (n, t) { return 'Điểm hài lòng trung bình trong tuần (1–5 sao) của ' + n + ' đơn vị có điểm thấp nhất; đường nét đứt: ngưỡng ' + t + ' sao.'; },
      satisfactionChartLabel: 'Biểu đồ điểm hài lòng trung bình theo đơn vị',
      noSatisfaction: 'Chưa có đánh giá nào trong tuần này.',
      ratingsCount: function (n) { return n + ' lượt'; },
      footer: 'Nguồn: Cổng dịch vụ công Hà Nội. Tỉ lệ đúng hạn = hồ sơ hoàn thành đúng hạn / hồ sơ hoàn thành trong tuần.',
      langButton: 'English',
      langLabel: 'Switch to English',
      loading: 'Đang tải số liệu…',
      range: function (s, e) { return 'từ ' + s + ' đến ' + e; },
      unitsCaption: function (w, n) { return 'Chỉ số của ' + n + ' đơn vị, tuần ' + w; },
      lateCaption: function (w, t, s) { return 'Đơn vị có hồ sơ quá hạn, tỉ lệ đúng hạn dưới ' + t + '% hoặc điểm hài lòng dưới ' + s + ' sao, tuần ' + w; },
      trendCaption: function (n, t) { return 'Tỉ lệ hồ sơ hoàn thành đúng hạn của ' + n + ' tuần gần nhất; đường nét đứt: ngưỡng ' + t + '%.'; },
      chartLabel: 'Biểu đồ tỉ lệ đúng hạn toàn thành phố theo tuần',
      noUnits: 'Chưa có số liệu cho tuần này.',
      noLate: 'Không có đơn vị chậm trong tuần này.',
      noTrend: 'Chưa có hồ sơ hoàn thành trong các tuần này.',
      noData: 'không có số liệu',
      reasons: { overdue: 'Có hồ sơ quá hạn', below_threshold: 'Tỉ lệ đúng hạn dưới ngưỡng',
                 satisfaction: 'Mức hài lòng dưới ngưỡng' },
      lateBadge: 'Chậm',
      error: 'Không tải được số liệu',
      networkError: 'không kết nối được máy chủ.',
      badWeek: 'Tuần không hợp lệ: hãy nhập dạng YYYY-Www, ví dụ 2026-W47.',
      sortAsc: 'Sắp xếp theo tỉ lệ đúng hạn, tăng dần',
      sortDesc: 'Sắp xếp theo tỉ lệ đúng hạn, giảm dần'
    },
    en: {
      title: 'Administrative procedure performance',
      subtitle: 'Hanoi — weekly figures, refreshed every minute',
      weekLabel: 'Week',
      show: 'Show',
      lateTitle: 'Late units this week',
      unitsTitle: 'Figures by unit',
      trendTitle: 'City-wide on-time rate by week',
      colUnit: 'Unit',
      colReceived: 'Received',
      colOnTime: 'On time',
      colLate: 'Late',
      colInProgress: 'In progress',
      colOverdue: 'Overdue',
      colRate: 'On-time rate',
      colReasons: 'Reasons',
      colSatisfaction: 'Satisfaction',
      satisfactionTitle: 'Citizens\' satisfaction by unit',
      satisfactionCaption: function (n, t) { return 'Mean rating of the week (1-5 stars) of the ' + n + ' lowest rated units; dashed line: ' + t + '-star threshold.'; },
      satisfactionChartLabel: 'Chart of the mean rating by unit',
      noSatisfaction: 'No rating this week yet.',
      ratingsCount: function (n) { return n + (n === 1 ? ' rating' : ' ratings'); },
      footer: 'Source: Hanoi public service portal. On-time rate = dossiers completed on time / dossiers completed in the week.',
      langButton: 'Tiếng Việt',
      langLabel: 'Chuyển sang tiếng Việt',
      loading: 'Loading figures…',
      range: function (s, e) { return 'from ' + s + ' to ' + e; },
      unitsCaption: function (w, n) { return 'Figures of ' + n + ' units, week ' + w; },
      lateCaption: function (w, t, s) { return 'Units with overdue dossiers, an on-time rate under ' + t + '% or a mean rating under ' + s + ' stars, week ' + w; },
      trendCaption: function (n, t) { return 'Share of dossiers completed on time over the last ' + n + ' weeks; dashed line: ' + t + '% threshold.'; },
      chartLabel: 'Chart of the city-wide on-time rate by week',
      noUnits: 'No figures for this week yet.',
      noLate: 'No late unit this week.',
      noTrend: 'No dossier was completed in these weeks.',
      noData: 'no data',
      reasons: { overdue: 'Has overdue dossiers', below_threshold: 'On-time rate under the threshold',
                 satisfaction: 'Satisfaction under the threshold' },
      lateBadge: 'Late',
      error: 'The figures could not be loaded',
      networkError: 'the server cannot be reached.',
      badWeek: 'Invalid week: write it YYYY-Www, e.g. 2026-W47.',
      sortAsc: 'Sort by on-time rate, ascending',
      sortDesc: 'Sort by on-time rate, descending'
    }
  };

  var SVG_NS = 'http://www.w3.org/2000/svg';
  var SATISFACTION_BARS = 20; /* the chart shows the least satisfying rated units, at most this many */
  var WEEK_RE = /^[0-9]{4}-W[0-9]{2}$/;
  var state = { lang: 'vi', week: '', sort: 'none', units: null, late: null, trend: null, errors: [] };

  function t(key) { return TEXT[state.lang][key]; }
  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function locale() { return state.lang === 'vi' ? 'vi-VN' : 'en-GB'; }
  function count(n) { return Number(n).toLocaleString(locale()); }
  function rate(r) {
    if (r === null || r === undefined) return '—';
    return Number(r).toLocaleString(locale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + ' %';
  }

  function number(n) { return n === null || n === undefined ? '—' : Number(n).toLocaleString(locale()); }
  function stars(mean) {
    if (mean === null || mean === undefined) return '—';
    return Number(mean).toLocaleString(locale(), { minimumFractionDigits: 1, maximumFractionDigits: 2 }) + ' ★';
  }

  /* ---- the week ---- */

  /* The current ISO week in Hanoi (UTC+7, no daylight saving). */
  function currentWeek() {
    var d = new Date(Date.now() + 7 * 3600 * 1000);
    var day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
    var weekday = day.getUTCDay() || 7;
    day.setUTCDate(day.getUTCDate() + 4 - weekday); /* the week's Thursday names its year */
    var year = day.getUTCFullYear();
    var week = Math.floor((day - Date.UTC(year, 0, 1)) / 86400000 / 7) + 1;
    return year + '-W' + (week < 10 ? '0' : '') + week;
  }

  function weekFromAddress() {
    var w = new URLSearchParams(window.location.search).get('week');
    return w === null || w === '' ? currentWeek() : w;
  }

  /* ---- fetching ---- */

  function getJSON(path) {
    return fetch(path, { headers: { 'accept': 'application/json', 'accept-language': state.lang } })
      .then(function (res) {
        return res.json().catch(function () { return null; }).then(function (body) {
          if (!res.ok) {
            var detail = body && (body.detail || body.title);
            throw new Error(detail || ('HTTP ' + res.status));
          }
          return body;
        });
      }, function () { throw new Error(t('networkError')); });
  }

  function load() {
    var q = '?week=' + encodeURIComponent(state.week);
    state.units = state.late = state.trend = null;
    state.errors = [];
    setStatus(t('loading'), false);
    document.body.setAttribute('aria-busy', 'true');
    var parts = [
      getJSON('/v1/kpi/units' + q).then(function (b) { state.units = b; }),
      getJSON('/v1/kpi/late-units' + q).then(function (b) { state.late = b; }),
      getJSON('/v1/kpi/trend' + q + '&weeks=12').then(function (b) { state.trend = b; })
    ].map(function (p) {
      return p.catch(function (e) { if (state.errors.indexOf(e.message) < 0) state.errors.push(e.message); });
    });
    return Promise.all(parts).then(function () {
      document.body.removeAttribute('aria-busy');
      render();
    });
  }

  /* ---- rendering ---- */

  function setStatus(text, isError) {
    var s = $('status');
    s.textContent = text;
    s.className = isError ? 'status error' : 'status';
    s.setAttribute('role', isError ? 'alert' : 'status');
  }

  function showEmpty(id, text) {
    var p = $(id);
    p.textContent = text || '';
    p.hidden = !text;
  }

  function applyTexts() {
    document.documentElement.lang = state.lang;
    document.title = t('title') + ' — ' + (state.lang === 'vi' ? 'Hà Nội' : 'Hanoi');
    Array.prototype.forEach.call(document.querySelectorAll('[data-i18n]'), function (node) {
      node.textContent = t(node.getAttribute('data-i18n'));
    });
    var b = $('lang-toggle');
    b.textContent = t('langButton');
    b.setAttribute('lang', state.lang === 'vi' ? 'en' : 'vi');
    b.setAttribute('aria-label', t('langLabel'));
  }

  function lateCodes() {
    var codes = {};
    if (state.late) state.late.units.forEach(function (u) { codes[u.unit_code] = true; });
    return codes;
  }

  function sortedUnits() {
    var units = state.units.units.slice();
    if (state.sort === 'none') return units;
    var dir = state.sort === 'ascending' ? 1 : -1;
    return units.sort(function (a, b) {
      var ra = a.on_time_rate, rb = b.on_time_rate;
      if (ra === null && rb === null) return a.unit_code < b.unit_code ? -1 : 1;
      if (ra === null) return 1; /* units without completed dossiers go last, whatever the direction */
      if (rb === null) return -1;
      return ra === rb ? (a.unit_code < b.unit_code ? -1 : 1) : (ra - rb) * dir;
    });
  }

  function unitCell(u) {
    var th = el('th', { scope: 'row' });
    th.appendChild(el('span', { 'class': 'unit-name' }, u.unit_name));
    th.appendChild(el('span', { 'class': 'unit-code' }, u.unit_code));
    return th;
  }

  /* The week's mean rating and how many ratings; a dash when the unit was not rated. */
  function satisfactionCell(s) {
    var td = el('td', { 'class': 'num satisfaction' });
    if (!s || !s.ratings) { td.textContent = '—'; return td; }
    td.appendChild(el('span', { 'class': 'stars' }, stars(s.mean)));
    td.appendChild(el('span', { 'class': 'ratings' }, t('ratingsCount')(s.ratings)));
    return td;
  }

  function renderUnits() {
    var body = $('units-table').tBodies[0];
    body.textContent = '';
    var header = $('rate-header');
    header.setAttribute('aria-sort', state.sort);
    $('sort-rate').setAttribute('aria-label', state.sort === 'ascending' ? t('sortDesc') : t('sortAsc'));
    if (!state.units) { $('units-caption').textContent = ''; showEmpty('units-empty', ''); return; }
    $('units-caption').textContent = t('unitsCaption')(state.units.week, state.units.units.length);
    showEmpty('units-empty', state.units.units.length === 0 ? t('noUnits') : '');
    var late = lateCodes();
    sortedUnits().forEach(function (u) {
      var tr = el('tr', { 'data-unit': u.unit_code });
      if (late[u.unit_code]) tr.className = 'is-late';
      tr.appendChild(unitCell(u));
      [u.received, u.completed_on_time, u.completed_late, u.in_progress, u.overdue].forEach(function (n, i) {
        tr.appendChild(el('td', { 'class': 'num' + (i === 4 && n > 0 ? ' warn' : '') }, count(n)));
      });
      var rateCell = el('td', { 'class': 'num rate' }, rate(u.on_time_rate));
      if (late[u.unit_code]) rateCell.appendChild(el('span', { 'class': 'badge' }, t('lateBadge')));
      tr.appendChild(rateCell);
      tr.appendChild(satisfactionCell(u.satisfaction));
      body.appendChild(tr);
    });
  }

  function renderLate() {
    var body = $('late-table').tBodies[0];
    body.textContent = '';
    $('late-table').hidden = false;
    if (!state.late) { $('late-caption').textContent = ''; showEmpty('late-empty', ''); return; }
    $('late-caption').textContent = t('lateCaption')(state.late.week, state.late.threshold,
                                                     number(state.late.satisfaction_threshold));
    showEmpty('late-empty', state.late.units.length === 0 ? t('noLate') : '');
    $('late-table').hidden = state.late.units.length === 0;
    state.late.units.forEach(function (u) {
      var tr = el('tr', { 'data-unit': u.unit_code, 'class': 'is-late' });
      tr.appendChild(unitCell(u));
      tr.appendChild(el('td', { 'class': 'num rate' }, rate(u.on_time_rate)));
      tr.appendChild(el('td', { 'class': 'num' + (u.overdue > 0 ? ' warn' : '') }, count(u.overdue)));
      var reasons = el('td', { 'class': 'reasons' });
      var list = el('ul', {});
      (u.reasons || []).forEach(function (r) {
        list.appendChild(el('li', { 'class': 'reason', 'data-reason': r }, t('reasons')[r] || r));
      });
      reasons.appendChild(list);
      tr.appendChild(reasons);
      body.appendChild(tr);
    });
  }

  /* The on-time rate by week as a line over 0..100 %, one marked point per week (hollow when the week has no
   * completed dossier), the threshold as a dashed line. */
  function renderTrend() {
    var box = $('trend-chart');
    box.textContent = '';
    if (!state.trend) { $('trend-caption').textContent = ''; showEmpty('trend-empty', ''); return; }
    var weeks = state.trend.weeks;
    var threshold = state.late ? state.late.threshold : null;
    $('trend-caption').textContent = t('trendCaption')(weeks.length, threshold === null ? '—' : threshold);
    var withData = weeks.filter(function (w) { return w.on_time_rate !== null; });
    showEmpty('trend-empty', withData.length === 0 ? t('noTrend') : '');
    if (weeks.length === 0) return;

    var W = 640, H = 260, left = 44, right = 12, top = 14, bottom = 42;
    var plotW = W - left - right, plotH = H - top - bottom;
    var x = function (i) { return left + (weeks.length === 1 ? plotW / 2 : (plotW * i) / (weeks.length - 1)); };
    var y = function (r) { return top + plotH - (plotH * r) / 100; };

    var chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-labelledby': 'trend-svg-title trend-svg-desc',
                             'class': 'trend-svg', preserveAspectRatio: 'xMidYMid meet' });
    chart.appendChild(svg('title', { id: 'trend-svg-title' }, t('chartLabel')));
    chart.appendChild(svg('desc', { id: 'trend-svg-desc' }, weeks.map(function (w) {
      return w.week + ': ' + (w.on_time_rate === null ? t('noData') : rate(w.on_time_rate));
    }).join('; ')));

    [0, 25, 50, 75, 100].forEach(function (r) {
      chart.appendChild(svg('line', { x1: left, x2: W - right, y1: y(r), y2: y(r), 'class': 'grid' }));
      chart.appendChild(svg('text', { x: left - 6, y: y(r) + 4, 'class': 'axis-label y' }, r + '%'));
    });
    if (threshold !== null) {
      chart.appendChild(svg('line', { x1: left, x2: W - right, y1: y(threshold), y2: y(threshold), 'class': 'threshold' }));
    }

    /* the line joins consecutive weeks that have data; a week without data breaks it */
    var segment = [];
    var flush = function () {
      if (segment.length > 1) chart.appendChild(svg('polyline', { points: segment.join(' '), 'class': 'trend-line' }));
      segment = [];
    };
    weeks.forEach(function (w, i) {
      if (w.on_time_rate === null) flush(); else segment.push(x(i) + ',' + y(w.on_time_rate));
    });
    flush();

    var step = Math.ceil(weeks.length / 8); /* at most ~8 labels so that a phone can read them */
    weeks.forEach(function (w, i) {
      var hasData = w.on_time_rate !== null;
      var point = svg('circle', { cx: x(i), cy: y(hasData ? w.on_time_rate : 0), r: 5,
                                  'class': 'point' + (hasData ? '' : ' no-data'), 'data-week': w.week,
                                  'data-rate': hasData ? String(w.on_time_rate) : '' });
      point.appendChild(svg('title', {}, w.week + ': ' + (hasData ? rate(w.on_time_rate) : t('noData'))));
      chart.appendChild(point);
      if (i % step === 0 || i === weeks.length - 1) {
        chart.appendChild(svg('text', { x: x(i), y: H - bottom + 18, 'class': 'axis-label x' }, w.week.slice(5)));
        chart.appendChild(svg('text', { x: x(i), y: H - bottom + 32, 'class': 'axis-label x year' }, w.week.slice(0, 4)));
      }
    });
    box.appendChild(chart);
  }

  /* The rated units' mean rating as horizontal bars over 1..5 stars, the least satisfying first (at most
   * SATISFACTION_BARS), the late list's satisfaction threshold as a dashed line. */
  function renderSatisfaction() {
    var box = $('satisfaction-chart');
    box.textContent = '';
    if (!state.units) { $('satisfaction-caption').textContent = ''; showEmpty('satisfaction-empty', ''); return; }
    var rated = state.units.units.filter(function (u) { return u.satisfaction && u.satisfaction.ratings > 0; });
    rated.sort(function (a, b) {
      return a.satisfaction.mean === b.satisfaction.mean ? (a.unit_code < b.unit_code ? -1 : 1)
                                                         : a.satisfaction.mean - b.satisfaction.mean;
    });
    rated = rated.slice(0, SATISFACTION_BARS);
    var threshold = state.late ? state.late.satisfaction_threshold : null;
    $('satisfaction-caption').textContent = rated.length === 0 ? '' :
      t('satisfactionCaption')(rated.length, number(threshold));
    showEmpty('satisfaction-empty', rated.length === 0 ? t('noSatisfaction') : '');
    if (rated.length === 0) return;

    var W = 640, row = 22, left = 170, right = 70, top = 8, bottom = 26;
    var H = top + rated.length * row + bottom, plotW = W - left - right;
    var x = function (v) { return left + (plotW * (v - 1)) / 4; };
    var chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'class': 'satisfaction-svg',
                             'aria-labelledby': 'satisfaction-svg-title satisfaction-svg-desc',
                             preserveAspectRatio: 'xMidYMid meet' });
    chart.appendChild(svg('title', { id: 'satisfaction-svg-title' }, t('satisfactionChartLabel')));
    chart.appendChild(svg('desc', { id: 'satisfaction-svg-desc' }, rated.map(function (u) {
      return u.unit_name + ': ' + stars(u.satisfaction.mean) + ', ' + t('ratingsCount')(u.satisfaction.ratings);
    }).join('; ')));
    [1, 2, 3, 4, 5].forEach(function (v) {
      chart.appendChild(svg('line', { x1: x(v), x2: x(v), y1: top, y2: H - bottom, 'class': 'grid' }));
      chart.appendChild(svg('text', { x: x(v), y: H - bottom + 16, 'class': 'axis-label x' }, v + '★'));
    });
    rated.forEach(function (u, i) {
      var y = top + i * row, mean = u.satisfaction.mean;
      var below = threshold !== null && threshold !== undefined && mean < threshold;
      var name = u.unit_name.length > 26 ? u.unit_name.slice(0, 25) + '…' : u.unit_name; /* whole in the bar's title */
      chart.appendChild(svg('text', { x: left - 8, y: y + row / 2 + 4, 'class': 'axis-label y' }, name));
      var bar = svg('rect', { x: x(1), y: y + 4, width: Math.max(x(mean) - x(1), 2), height: row - 8,
                              'class': 'bar' + (below ? ' below' : ''), 'data-unit': u.unit_code,
                              'data-mean': String(mean), 'data-ratings': String(u.satisfaction.ratings) });
      bar.appendChild(svg('title', {}, u.unit_name + ': ' + stars(mean) + ', ' + t('ratingsCount')(u.satisfaction.ratings)));
      chart.appendChild(bar);
      chart.appendChild(svg('text', { x: x(mean) + 6, y: y + row / 2 + 4, 'class': 'bar-label' },
                            stars(mean) + ' (' + u.satisfaction.ratings + ')'));
    });
    if (threshold !== null && threshold !== undefined) {
      chart.appendChild(svg('line', { x1: x(threshold), x2: x(threshold), y1: top, y2: H - bottom, 'class': 'threshold' }));
    }
    box.appendChild(chart);
  }

  function render() {
    applyTexts();
    $('week-input').value = state.week;
    var ref = state.units || state.late;
    $('week-range').textContent = ref ? t('range')(ref.week_start, ref.week_end) : '';
    if (state.errors.length > 0) setStatus(t('error') + ': ' + state.errors.join(' '), true);
    else setStatus('', false);
    renderLate();
    renderUnits();
    renderSatisfaction();
    renderTrend();
  }

  /* ---- events ---- */

  function onSubmit(event) {
    event.preventDefault();
    var w = $('week-input').value.trim();
    if (!WEEK_RE.test(w)) { setStatus(t('badWeek'), true); return; }
    state.week = w;
    var url = new URL(window.location.href);
    url.searchParams.set('week', w);
    window.history.pushState({ week: w }, '', url.pathname + url.search);
    load();
  }

  function onSort() {
    state.sort = state.sort === 'ascending' ? 'descending' : 'ascending';
    renderUnits();
  }

  function onLang() {
    state.lang = state.lang === 'vi' ? 'en' : 'vi';
    try { window.localStorage.setItem('cong.dashboard.lang', state.lang); } catch (e) { /* private mode */ }
    render();
  }

  function start() {
    try {
      var saved = window.localStorage.getItem('cong.dashboard.lang');
      if (saved === 'en' || saved === 'vi') state.lang = saved;
    } catch (e) { /* storage unavailable */ }
    state.week = weekFromAddress();
    $('week-form').addEventListener('submit', onSubmit);
    $('sort-rate').addEventListener('click', onSort);
    $('lang-toggle').addEventListener('click', onLang);
    window.addEventListener('popstate', function () { state.week = weekFromAddress(); load(); });
    applyTexts();
    load();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
