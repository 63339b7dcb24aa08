// The offline page of mudi's monthly pack. It runs from file:// with no server and no network:
// the data come as classic scripts (data/*.js) that set window.MUDI_PACK_DATA and
// window.MUDI_PACK_FILES, and the tile archives are read from memory — or, when an archive was
// too large to embed, from the pack's folder, which the user picks (a page from file:// may read
// the files a user picks, but may not fetch its neighbours). window.mudiPack exposes the page's
// state (the map, and whether it is ready) for tests.
(function () {
  'use strict';

  var data = window.MUDI_PACK_DATA || {};
  var pack = data.pack;
  var state = { map: null, ready: false, error: null, ledgerRows: 0 };
  window.mudiPack = state;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function fmtMu(v) { return typeof v === 'number' ? v.toFixed(4) : ''; }
  function fmt(v) {
    if (v === null || v === undefined) return '';
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 10000) / 10000);
    return String(v);
  }

  // Tabs.
  var tabs = Array.prototype.slice.call(document.querySelectorAll('[role="tab"]'));
  function select(tab) {
    tabs.forEach(function (t) {
      var on = t === tab;
      t.setAttribute('aria-selected', on ? 'true' : 'false');
      document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
    });
    if (tab.id === 'tab-map' && state.map) state.map.resize();
  }
  tabs.forEach(function (t) { t.addEventListener('click', function () { select(t); }); });

  if (!pack) {
    document.getElementById('meta').textContent = '数据文件 data/pack.js 缺失：请解压整个离线包后再打开 index.html。';
    return;
  }
  document.title = pack.title + ' · ' + pack.month + ' 月度离线包';
  document.getElementById('title').textContent = pack.title + ' · ' + pack.month + ' 月度离线包';
  document.getElementById('meta').textContent = '数据截至 ' + pack.as_of + '（变化自 ' + pack.since + ' 之后）· 台账 ' +
    pack.ledger_rows + ' 宗 · mudi ' + pack.mudi;

  // The ledger.
  (function () {
    var ledger = data.ledger;
    var table = document.getElementById('ledger');
    if (!ledger) { document.getElementById('ledger-count').textContent = '台账数据缺失'; return; }
    var head = el('tr');
    ledger.columns.forEach(function (c) { head.appendChild(el('th', { scope: 'col' }, c)); });
    var thead = el('thead'); thead.appendChild(head); table.appendChild(thead);
    var tbody = el('tbody');
    var muCol = ledger.columns.indexOf('面积(亩)');
    ledger.rows.forEach(function (r) {
      var tr = el('tr');
      r.forEach(function (v, i) {
        var num = typeof v === 'number';
        tr.appendChild(el('td', num ? { class: 'num' } : null, i === muCol ? fmtMu(v) : fmt(v)));
      });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    state.ledgerRows = ledger.rows.length;
    var count = document.getElementById('ledger-count');
    count.textContent = '截至 ' + ledger.as_of + ' 共 ' + ledger.rows.length + ' 宗';
    document.getElementById('ledger-filter').addEventListener('input', function (e) {
      var q = e.target.value.trim();
      var shown = 0;
      Array.prototype.forEach.call(tbody.rows, function (tr) {
        var on = q === '' || tr.textContent.indexOf(q) >= 0;
        tr.hidden = !on;
        if (on) shown++;
      });
      count.textContent = '截至 ' + ledger.as_of + ' 共 ' + ledger.rows.length + ' 宗' + (q ? '，筛选出 ' + shown + ' 宗' : '');
    });
  })();

  // The monthly report.
  (function () {
    var reports = data.report;
    var box = document.getElementById('report');
    if (!reports || !reports.length) { box.textContent = '月报数据缺失'; return; }
    document.getElementById('report-caption').textContent = reports[0].month + ' 月报，数据截至 ' + reports[0].to;
    var groupNames = { district: '行政区', town: '乡镇(街道)', park: '所在园区' };
    var cols = [
      ['宗数', function (t) { return t.all.parcels; }],
      ['面积(亩)', function (t) { return t.all.mu; }, true],
      ['未启动', function (t) { return t.state.not_started.parcels; }],
      ['处置中', function (t) { return t.state.in_progress.parcels; }],
      ['待核验', function (t) { return t.state.awaiting_check.parcels; }],
      ['已销号', function (t) { return t.state.closed_off.parcels; }],
      ['已销号(亩)', function (t) { return t.state.closed_off.mu; }, true],
      ['本月销号', function (t) { return t.closed_in_month.parcels; }],
      ['本月销号(亩)', function (t) { return t.closed_in_month.mu; }, true],
      ['逾期', function (t) { return t.overdue.parcels; }],
      ['闲置满一年', function (t) { return t.idle.one_year.parcels; }],
      ['闲置满两年', function (t) { return t.idle.two_years.parcels; }],
      ['红色预警', function (t) { return t.warning.red; }],
      ['橙色预警', function (t) { return t.warning.orange; }],
      ['黄色预警', function (t) { return t.warning.yellow; }],
      ['绿色', function (t) { return t.warning.green; }]
    ];
    reports.forEach(function (rep) {
      var keys = rep.group_by || [];
      var name = keys.length ? '按' + keys.map(function (k) { return groupNames[k] || k; }).join('、') : '全部';
      box.appendChild(el('h3', null, name));
      var table = el('table', { class: 'report' });
      var head = el('tr');
      (keys.length ? keys : ['范围']).forEach(function (k) { head.appendChild(el('th', { scope: 'col' }, groupNames[k] || k)); });
      cols.forEach(function (c) { head.appendChild(el('th', { scope: 'col' }, c[0])); });
      var thead = el('thead'); thead.appendChild(head); table.appendChild(thead);
      var tbody = el('tbody');
      function row(label, t, total) {
        var tr = el('tr', total ? { class: 'total' } : null);
        label.forEach(function (v) { tr.appendChild(el('td', null, v)); });
        cols.forEach(function (c) { tr.appendChild(el('td', { class: 'num' }, c[2] ? fmtMu(c[1](t)) : fmt(c[1](t)))); });
        tbody.appendChild(tr);
      }
      (rep.groups || []).forEach(function (g) { row(g.key.map(function (v) { return v || '(未填)'; }), g); });
      var blank = []; for (var i = 1; i < Math.max(keys.length, 1); i++) blank.push('');
      row(['合计'].concat(blank), rep.total, true);
      table.appendChild(tbody);
      box.appendChild(table);
      if (rep.targets && rep.targets.length) {
        box.appendChild(el('h4', null, '目标进度'));
        var tt = el('table');
        var th = el('tr');
        ['对象', '目标面积(亩)', '完成期限', '已销号(亩)', '完成进度', '状态'].forEach(function (c) { th.appendChild(el('th', null, c)); });
        tt.appendChild(th);
        var statuses = { done: '已完成', on_track: '进度正常', behind: '进度滞后', unknown: '无法判断' };
        rep.targets.forEach(function (p) {
          var tr = el('tr');
          [p.group && p.group.length ? p.group.join(' / ') : '全部', fmtMu(p.mu), p.due, fmtMu(p.closed_mu),
            (p.progress * 100).toFixed(1) + '%', statuses[p.status] || p.status].forEach(function (v) { tr.appendChild(el('td', null, v)); });
          tt.appendChild(tr);
        });
        box.appendChild(tt);
      }
    });
  })();

  // The changes of the month.
  var changeColors = { added: '#2e7d32', removed: '#6d4c41', reshaped: '#1565c0', closed: '#00838f' };
  (function () {
    var fc = data.changes;
    var table = document.getElementById('changes');
    if (!fc) { document.getElementById('changes-caption').textContent = '变化数据缺失'; return; }
    var c = pack.changes;
    document.getElementById('changes-caption').textContent = pack.since + ' 之后至 ' + pack.as_of + '：新增 ' + c.added +
      ' 宗，移除 ' + c.removed + ' 宗，图形变化 ' + c.reshaped + ' 宗，销号 ' + c.closed + ' 宗';
    var head = el('tr');
    ['变化', '地块编号', '日期', '面积(亩)'].forEach(function (h) { head.appendChild(el('th', { scope: 'col' }, h)); });
    table.appendChild(head);
    fc.features.forEach(function (f) {
      var p = f.properties;
      var tr = el('tr');
      var first = el('td');
      var sw = el('span', { class: 'swatch', style: 'background:' + changeColors[p.change] });
      first.appendChild(sw); first.appendChild(document.createTextNode(p.change_label));
      tr.appendChild(first);
      tr.appendChild(el('td', null, p.code || ('#' + p.feature_id)));
      tr.appendChild(el('td', null, p.date || ''));
      tr.appendChild(el('td', { class: 'num' }, fmtMu(p.area_mu)));
      table.appendChild(tr);
    });
  })();

  // The map.
  var message = document.getElementById('map-message');
  function fail(text) {
    state.error = text;
    message.textContent = text;
    message.hidden = false;
  }
  if (typeof maplibregl === 'undefined' || typeof pmtiles === 'undefined') {
    fail('本离线包未带地图组件（生成它的 mudi 构建时未运行 make web）；台账、月报与本月变化仍可查看。');
    return;
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = src;
      s.onload = resolve;
      s.onerror = function () { reject(new Error('无法读取 ' + src + '：请解压整个离线包后再打开 index.html。')); };
      document.head.appendChild(s);
    });
  }

  function decode(b64) {
    var bin = atob(b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes.buffer;
  }

  // FileRangeSource is a PMTiles source over a file the user picked, read range by range.
  function FileRangeSource(key, file) { this.key = key; this.file = file; }
  FileRangeSource.prototype.getKey = function () { return this.key; };
  FileRangeSource.prototype.getBytes = function (offset, length) {
    return this.file.slice(offset, offset + length).arrayBuffer().then(function (b) { return { data: b }; });
  };

  // pickArchives asks the user for the pack's folder and resolves with its files by their path
  // in the pack (tiles/county.pmtiles), once it holds every archive in need.
  function pickArchives(needed) {
    var box = document.getElementById('pick');
    var input = document.getElementById('pick-folder');
    var msg = document.getElementById('pick-message');
    box.hidden = false;
    return new Promise(function (resolve) {
      input.addEventListener('change', function () {
        var found = {};
        Array.prototype.forEach.call(input.files, function (f) {
          var rel = (f.webkitRelativePath || f.name).split('/');
          needed.forEach(function (path) {
            var parts = path.split('/');
            if (rel.slice(-parts.length).join('/') === path) found[path] = f;
          });
        });
        var missing = needed.filter(function (p) { return !found[p]; });
        if (missing.length) {
          msg.textContent = '所选文件夹缺少 ' + missing.join('、') + '：请选择解压后含 index.html 的文件夹。';
          return;
        }
        box.hidden = true;
        resolve(found);
      });
    });
  }

  // MemorySource is a PMTiles source over an archive held in memory.
  function MemorySource(key, buffer) { this.key = key; this.buffer = buffer; }
  MemorySource.prototype.getKey = function () { return this.key; };
  MemorySource.prototype.getBytes = function (offset, length) {
    return Promise.resolve({ data: this.buffer.slice(offset, offset + length) });
  };

  var kindNames = { parcels: '地块', control: '控制线', derived: '分析结果' };
  var classNames = { idle: '闲置', 'five-wei': '五未', 'low-efficiency': '低效', efficient: '其他' };

  function legend(style) {
    var box = document.getElementById('legend');
    box.appendChild(el('h2', null, '图例'));
    pack.layers.forEach(function (l) {
      if (!l.tiles) return;
      box.appendChild(el('div', null, (kindNames[l.kind] || l.kind) + '：' + l.title));
      style.layers.forEach(function (sl) {
        if (sl['source-layer'] !== l.id) return;
        var suffix = sl.id.slice(l.id.length + 1);
        var color = sl.paint && (sl.paint['fill-color'] || (l.kind !== 'parcels' && sl.paint['line-color']));
        if (!color || (l.kind === 'parcels' && sl.type !== 'fill') || (l.kind === 'derived' && sl.type !== 'fill')) return;
        var label = el('label');
        label.appendChild(el('span', { class: 'swatch', style: 'background:' + color }));
        label.appendChild(document.createTextNode(classNames[suffix] || (kindNames[l.kind] || suffix)));
        box.appendChild(label);
      });
    });
    var changes = el('div', null, '本月变化（轮廓）');
    box.appendChild(changes);
    [['added', '新增'], ['removed', '移除'], ['reshaped', '图形变化'], ['closed', '销号']].forEach(function (c) {
      var label = el('label');
      label.appendChild(el('span', { class: 'swatch', style: 'background:' + changeColors[c[0]] }));
      label.appendChild(document.createTextNode(c[1]));
      box.appendChild(label);
    });
  }

  // Archives come embedded in data/tiles-*.js, or from the pack's folder picked by the user.
  Promise.all((pack.scripts || []).map(loadScript)).then(function () {
    var files = window.MUDI_PACK_FILES || {};
    var needed = pack.layers.filter(function (l) { return l.tiles && !files[l.tiles]; }).map(function (l) { return l.tiles; });
    return needed.length ? pickArchives(needed) : {};
  }).then(function (picked) {
    var files = window.MUDI_PACK_FILES || {};
    var protocol = new pmtiles.Protocol();
    maplibregl.addProtocol('pmtiles', protocol.tile);
    var parcels = null;
    pack.layers.forEach(function (l) {
      if (!l.tiles) return;
      var source = files[l.tiles] ? new MemorySource(l.tiles, decode(files[l.tiles])) : new FileRangeSource(l.tiles, picked[l.tiles]);
      var archive = new pmtiles.PMTiles(source);
      protocol.add(archive);
      if (l.kind === 'parcels') parcels = archive;
    });
    var style = pack.style;
    legend(style);
    return (parcels ? parcels.getHeader() : Promise.resolve(null)).then(function (h) {
      // Keep the parcels clear of the legend and the zoom buttons.
      var left = Math.min(document.getElementById('legend').offsetWidth + 30, document.getElementById('map').clientWidth / 3);
      var map = new maplibregl.Map({
        container: 'map', style: style, attributionControl: false,
        bounds: h ? [[h.minLon, h.minLat], [h.maxLon, h.maxLat]] : undefined,
        fitBoundsOptions: { padding: { top: 40, bottom: 40, left: left, right: 60 } }, maxZoom: 20
      });
      state.map = map;
      map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
      map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }));
      map.on('load', function () {
        if (data.changes) {
          map.addSource('changes', { type: 'geojson', data: data.changes });
          map.addLayer({ id: 'changes-line', type: 'line', source: 'changes',
            paint: { 'line-width': 3, 'line-color': ['match', ['get', 'change'], 'added', changeColors.added, 'removed', changeColors.removed,
              'reshaped', changeColors.reshaped, changeColors.closed], 'line-dasharray': [2, 1] } });
        }
      });
      map.once('idle', function () { state.ready = true; });
      map.on('error', function (e) { state.error = String((e && e.error && e.error.message) || e); });
      map.on('click', function (e) {
        var fs = map.queryRenderedFeatures(e.point).filter(function (f) { return f.source !== 'changes'; });
        if (!fs.length) return;
        var p = fs[0].properties;
        var box = el('div');
        Object.keys(p).slice(0, 24).forEach(function (k) { box.appendChild(el('div', null, k + '：' + fmt(p[k]))); });
        new maplibregl.Popup({ maxWidth: '320px' }).setLngLat(e.lngLat).setDOMContent(box).addTo(map);
      });
    });
  }).catch(function (err) {
    fail('地图无法显示：' + err.message);
  });
})();
