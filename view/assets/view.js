/* landscape view: draws the surfaces in #landscape-data with plotly.js (global Plotly).
 * 2D files: 3D surface, labelled contours, heat map (and |λmin/λmax| when the file has it);
 * 1D files: loss and accuracy curves. Gaps (null) are points not computed yet or diverged.
 * The read-out under each figure gives (x, y, loss, accuracy) of the grid point under the cursor.
 * Live pages (served by `landscape view --serve`) receive new data as server-sent events. */
(function () {
  'use strict';
  var doc = JSON.parse(document.getElementById('landscape-data').textContent);
  var $ = function (id) { return document.getElementById(id); };
  var ui = { scale: $('scale'), vmin: $('vmin'), vmax: $('vmax'), shared: $('shared'), link: $('link'), status: $('status') };
  var config = { displaylogo: false, responsive: true, toImageButtonOptions: { format: 'png', scale: 2 } };
  var kinds = {}; // figure index -> the layout its DOM was built for
  var syncing = 0; // camera updates in flight from linking, not from the reader
  var version = 0;
  var groupOf = {}; // figure index -> the indices drawn side by side with it (one colour scale, linked cameras)

  ui.scale.value = doc.options.log ? 'log' : 'linear';
  if (doc.vmin !== null) ui.vmin.value = doc.vmin;
  if (doc.vmax !== null) ui.vmax.value = doc.vmax;

  function num(input) { var v = parseFloat(input.value); return isFinite(v) ? v : null; }
  function isLog() { return ui.scale.value === 'log'; }

  // tz maps a loss to what is drawn: clipped to [clip min, clip max], then log10 on a log scale.
  function tz(v) {
    if (v === null) return null;
    var lo = num(ui.vmin), hi = num(ui.vmax);
    if (lo !== null && v < lo) v = lo;
    if (hi !== null && v > hi) v = hi;
    if (isLog()) return v > 0 ? Math.log10(v) : null;
    return v;
  }
  function tgrid(g) { return g.map(function (row) { return row.map(tz); }); }

  // zrange is the colour range: the drawn values of one figure, or of all with one colour scale.
  function zrange(n) {
    var figs = ui.shared.checked ? (groupOf[n] || [n]).map(function (m) { return doc.figures[m]; }) : [doc.figures[n]];
    var lo = Infinity, hi = -Infinity;
    figs.forEach(function (f) {
      if (!f || f.error || f.is2D !== doc.figures[n].is2D) return;
      f.loss.forEach(function (row) {
        row.forEach(function (v) {
          var z = tz(v);
          if (z !== null && isFinite(z)) { if (z < lo) lo = z; if (z > hi) hi = z; }
        });
      });
    });
    if (!(lo <= hi)) return [0, 1];
    if (lo === hi) hi = lo + 1;
    return [lo, hi];
  }

  function fmt(v, digits) {
    if (v === null || v === undefined) return '—';
    return Number(v).toPrecision(digits || 6);
  }
  function pct(v) { return v === null ? '—' : fmt(v, 5) + ' %'; }
  function nearest(c, v) {
    var best = 0;
    for (var i = 1; i < c.length; i++) if (Math.abs(c[i] - v) < Math.abs(c[best] - v)) best = i;
    return best;
  }
  function pathOf(f) { return (f && f.trajectory) || doc.path; }
  function axisTitle(f, d) {
    var p = pathOf(f), v = p && p.variance;
    var name = d === 0 ? 'x' : 'y';
    if (v && v.length > d) return name + ' (PCA direction ' + (d + 1) + ', ' + (100 * v[d]).toFixed(1) + ' % of variance)';
    return name;
  }
  function lossTitle() { return isLog() ? 'log10 loss' : 'loss'; }

  // readout writes the values of the grid point nearest (x, y) under figure n.
  function readout(n, x, y) {
    var f = doc.figures[n], el = $('readout-' + n);
    if (!f || f.error || !el) return;
    var i = nearest(f.x, x), j = f.is2D ? nearest(f.y, y) : 0;
    var s = 'x = ' + fmt(f.x[i], 4) + (f.is2D ? ', y = ' + fmt(f.y[j], 4) : '') + ': ';
    switch (f.state[j][i]) {
      case 0: s += 'not computed yet'; break;
      case 2: s += 'diverged (loss not finite), accuracy = ' + pct(f.acc[j][i]); break;
      default: s += 'loss = ' + fmt(f.loss[j][i], 7) + ', accuracy = ' + pct(f.acc[j][i]);
    }
    if (f.ratio) s += ', |λmin/λmax| = ' + fmt(f.ratio[j][i], 4);
    if (f.stderr && f.state[j][i] !== 0) s += ', loss ± ' + fmt(f.stderr[j][i], 3) + ' (standard error, ' + f.images[j][i] + ' images)';
    el.textContent = s;
    el.dataset.i = i;
    el.dataset.j = j;
  }

  // pathTraces draws the trajectory on a 2D plot, or on the 3D surface at the drawn loss.
  function pathTraces(f, z3) {
    var p = pathOf(f);
    if (!p || !f.is2D) return [];
    var line = { color: '#d62728', width: 3 }, marker = { size: 4, color: '#d62728' };
    if (!z3) return [{ type: 'scatter', mode: 'lines+markers', x: p.x, y: p.y, name: 'trajectory', line: line, marker: marker, hoverinfo: 'skip' }];
    var z = p.x.map(function (x, k) { return bilinear(f, z3, x, p.y[k]); });
    return [{ type: 'scatter3d', mode: 'lines', x: p.x, y: p.y, z: z, name: 'trajectory', line: line, hoverinfo: 'skip' }];
  }
  // bilinear interpolates the drawn grid z at (x, y); null outside the grid or next to a gap.
  function bilinear(f, z, x, y) {
    function cell(c, v) {
      for (var i = 0; i + 1 < c.length; i++) {
        var a = c[i], b = c[i + 1];
        if ((v - a) * (v - b) <= 0 && a !== b) return [i, (v - a) / (b - a)];
      }
      return null;
    }
    var cx = cell(f.x, x), cy = cell(f.y, y);
    if (!cx || !cy) return null;
    var i = cx[0], u = cx[1], j = cy[0], w = cy[1];
    var a = z[j][i], b = z[j][i + 1], c = z[j + 1][i], d = z[j + 1][i + 1];
    if (a === null || b === null || c === null || d === null) return null;
    return (1 - w) * ((1 - u) * a + u * b) + w * ((1 - u) * c + u * d);
  }

  function kindOf(f) { return !f || f.error ? 'error' : (f.is2D ? '2d' : '1d') + (f.ratio ? '+ratio' : '') + (f.images ? '+images' : ''); }

  function plotsOf(n) {
    var k = kinds[n] || '';
    if (k === 'error') return [];
    var extra = (k.indexOf('ratio') > 0 ? ['ratio'] : []).concat(k.indexOf('images') > 0 ? ['images'] : []);
    if (k.indexOf('2d') === 0) return ['surf', 'cont', 'heat'].concat(extra).map(function (p) { return p + '-' + n; });
    return ['line'].concat(extra).map(function (p) { return p + '-' + n; });
  }

  // build makes figure n's DOM for its kind (again when the kind changes, e.g. a file appears).
  function build(n, box) {
    var f = doc.figures[n], kind = kindOf(f);
    if (kinds[n] === kind && box.childNodes.length) return false;
    plotsOf(n).forEach(function (id) { if ($(id)) Plotly.purge($(id)); });
    kinds[n] = kind;
    box.innerHTML = '';
    var h = document.createElement('h2');
    h.textContent = f ? f.name : '';
    box.appendChild(h);
    var meta = document.createElement('p');
    meta.className = 'meta';
    meta.id = 'meta-' + n;
    box.appendChild(meta);
    if (kind === 'error') return true;
    var ro = document.createElement('div');
    ro.className = 'readout';
    ro.id = 'readout-' + n;
    ro.textContent = 'move the cursor over a plot for (x, y, loss, accuracy)';
    box.appendChild(ro);
    plotsOf(n).forEach(function (id) {
      var d = document.createElement('div');
      d.id = id;
      d.className = 'plot ' + id.split('-')[0];
      box.appendChild(d);
    });
    var b = document.createElement('button');
    b.type = 'button';
    b.textContent = 'save PNG';
    b.id = 'save-' + n;
    b.addEventListener('click', function () { savePNG(n); });
    box.appendChild(b);
    return true;
  }

  function metaText(f) {
    if (f.error) return f.error;
    var s = (f.model ? f.model + ', ' : '') + f.split + ' split' + (f.examples ? ' (' + f.examples + ' examples)' : '');
    s += '; ' + f.done + ' of ' + f.total + ' points computed';
    if (f.diverged) s += ', ' + f.diverged + ' diverged';
    if (f.level) s += '; drawn: the computed ' + f.level;
    if (f.sampled) s += '; ' + f.sampled;
    return s;
  }

  var margin = { l: 50, r: 10, t: 30, b: 40 };
  function draw(n) {
    var f = doc.figures[n];
    var meta = $('meta-' + n);
    if (meta) meta.textContent = metaText(f);
    if (!f || f.error) return;
    if (!f.is2D) {
      // clipped; on a log scale the axis is logarithmic and the values stay losses
      var l = f.loss[0].map(function (v) { var z = tz(v); return z === null || !isLog() ? z : Math.pow(10, z); });
      var yaxis = { title: { text: 'loss' }, type: isLog() ? 'log' : 'linear' };
      Plotly.react('line-' + n, [
        { type: 'scatter', mode: 'lines+markers', x: f.x, y: l, name: f.split + ' loss', line: { color: '#1f77b4' } },
        { type: 'scatter', mode: 'lines+markers', x: f.x, y: f.acc[0], name: f.split + ' accuracy', yaxis: 'y2', line: { color: '#ff7f0e', dash: 'dot' } }
      ], {
        uirevision: 'keep', margin: { l: 60, r: 60, t: 30, b: 40 }, hovermode: 'x', legend: { orientation: 'h', y: 1.12 },
        xaxis: { title: { text: 'x' } }, yaxis: yaxis,
        yaxis2: { title: { text: 'accuracy (%)' }, overlaying: 'y', side: 'right', range: [0, 100] }
      }, config);
      if (f.ratio) {
        Plotly.react('ratio-' + n, [{ type: 'scatter', mode: 'lines+markers', x: f.x, y: f.ratio[0], name: '|λmin/λmax|', line: { color: '#2ca02c' } }],
          { uirevision: 'keep', margin: { l: 60, r: 60, t: 30, b: 40 }, hovermode: 'x', title: { text: 'Hessian |λmin/λmax|', font: { size: 13 } },
            xaxis: { title: { text: 'x' } }, yaxis: { title: { text: '|λmin/λmax|' }, rangemode: 'tozero' } }, config);
      }
      if (f.images) {
        Plotly.react('images-' + n, [{ type: 'scatter', mode: 'lines+markers', x: f.x, y: f.images[0], name: 'images', line: { color: '#9467bd' } }],
          { uirevision: 'keep', margin: { l: 60, r: 60, t: 30, b: 40 }, hovermode: 'x', title: { text: 'images used per point (of ' + f.examples + ')', font: { size: 13 } },
            xaxis: { title: { text: 'x' } }, yaxis: { title: { text: 'images' }, range: [0, f.examples] } }, config);
      }
      bind(n);
      return;
    }
    var z = tgrid(f.loss), r = zrange(n), t = lossTitle();
    if (!z.some(function (row) { return row.some(function (v) { return v !== null; }); })) {
      // nothing to draw yet (a scan just started): WebGL cannot draw an all-gap surface
      var empty = { uirevision: 'empty', margin: margin, xaxis: { visible: false }, yaxis: { visible: false },
        annotations: [{ text: 'no points computed yet', showarrow: false, x: 0.5, y: 0.5, xref: 'paper', yref: 'paper' }] };
      plotsOf(n).forEach(function (id) { Plotly.react(id, [], empty, config); });
      bind(n);
      return;
    }
    var ends = function (c) { return [Math.min(c[0], c[c.length - 1]), Math.max(c[0], c[c.length - 1])]; };
    var scene = { xaxis: { title: { text: 'x' }, range: ends(f.x) }, yaxis: { title: { text: 'y' }, range: ends(f.y) }, zaxis: { title: { text: t } } };
    Plotly.react('surf-' + n, [{ type: 'surface', x: f.x, y: f.y, z: z, cmin: r[0], cmax: r[1], colorscale: 'Viridis', connectgaps: false, colorbar: { title: { text: t } }, hovertemplate: 'x %{x}<br>y %{y}<br>' + t + ' %{z}<extra></extra>' }].concat(pathTraces(f, z)),
      { uirevision: 'keep', margin: { l: 0, r: 0, t: 0, b: 0 }, scene: scene, showlegend: false }, config);
    var planar = { uirevision: 'keep', margin: margin, xaxis: { title: { text: axisTitle(f, 0) } }, yaxis: { title: { text: axisTitle(f, 1) }, scaleanchor: 'x' }, showlegend: false };
    var size = (r[1] - r[0]) / 20;
    Plotly.react('cont-' + n, [{ type: 'contour', x: f.x, y: f.y, z: z, zmin: r[0], zmax: r[1], colorscale: 'Viridis', connectgaps: false, contours: { start: r[0], end: r[1], size: size, coloring: 'lines', showlabels: true }, line: { width: 1.5 }, colorbar: { title: { text: t } }, hovertemplate: 'x %{x}<br>y %{y}<br>' + t + ' %{z}<extra></extra>' }].concat(pathTraces(f)),
      planar, config);
    Plotly.react('heat-' + n, [{ type: 'heatmap', x: f.x, y: f.y, z: z, zmin: r[0], zmax: r[1], colorscale: 'Viridis', hoverongaps: true, colorbar: { title: { text: t } }, hovertemplate: 'x %{x}<br>y %{y}<br>' + t + ' %{z}<extra></extra>' }].concat(pathTraces(f)),
      planar, config);
    if (f.ratio) {
      Plotly.react('ratio-' + n, [{ type: 'heatmap', x: f.x, y: f.y, z: f.ratio, zmin: 0, zmax: ratioMax(f), colorscale: 'RdBu', reversescale: true, hoverongaps: true, colorbar: { title: { text: '|λmin/λmax|' } }, hovertemplate: 'x %{x}<br>y %{y}<br>|λmin/λmax| %{z}<extra></extra>' }].concat(pathTraces(f)),
        Object.assign({}, planar, { title: { text: 'Hessian |λmin/λmax|', font: { size: 13 } } }), config);
    }
    if (f.images) {
      Plotly.react('images-' + n, [{ type: 'heatmap', x: f.x, y: f.y, z: f.images, zmin: 0, zmax: f.examples, colorscale: 'Viridis', hoverongaps: true, colorbar: { title: { text: 'images' } }, hovertemplate: 'x %{x}<br>y %{y}<br>images %{z}<extra></extra>' }].concat(pathTraces(f)),
        Object.assign({}, planar, { title: { text: 'images used per point (of ' + f.examples + ')', font: { size: 13 } } }), config);
    }
    bind(n);
  }

  // ratioMax is the largest |λmin/λmax| of figure f: its map's colours run from 0 to it.
  function ratioMax(f) {
    var m = 0;
    f.ratio.forEach(function (row) { row.forEach(function (v) { if (v !== null && v > m) m = v; }); });
    return m > 0 ? m : 1;
  }

  // bind attaches the read-out (and, to 3D surfaces, camera linking) to figure n's plots once
  // plotly has set them up.
  function bind(n) {
    plotsOf(n).forEach(function (id) {
      var el = $(id);
      if (!el || !el.on || el.dataset.bound) return;
      el.dataset.bound = '1';
      el.on('plotly_hover', function (ev) { if (ev.points && ev.points.length) readout(n, ev.points[0].x, ev.points[0].y); });
      if (id.indexOf('surf-') === 0) el.on('plotly_relayout', function (ev) { linkCamera(n, ev); });
    });
  }

  // linkCamera gives every other 3D surface the camera the reader just set on figure n's.
  function linkCamera(n, ev) {
    if (syncing > 0 || !ui.link.checked || !ev || !ev['scene.camera']) return;
    (groupOf[n] || []).forEach(function (m) {
      var el = $('surf-' + m);
      if (m === n || !el || !el.data) return;
      syncing++;
      Plotly.relayout(el, { 'scene.camera': ev['scene.camera'] }).then(function () { syncing--; }, function () { syncing--; });
    });
  }

  function savePNG(n) {
    var f = doc.figures[n];
    plotsOf(n).forEach(function (id) {
      var el = $(id);
      if (el && el.data) Plotly.downloadImage(el, { format: 'png', filename: f.name.replace(/\.npz$/, '') + '_' + id.split('-')[0], scale: 2 });
    });
  }

  function drawAll() {
    document.querySelectorAll('.group').forEach(function (g) {
      var idx = (g.dataset.figures || '').split(',').filter(function (s) { return s !== ''; }).map(Number);
      g.style.gridTemplateColumns = 'repeat(' + Math.max(1, idx.length) + ', minmax(360px, 1fr))';
      g.style.maxWidth = Math.max(1, idx.length) * 760 + 'px';
      idx.forEach(function (n) { groupOf[n] = idx; });
      idx.forEach(function (n) {
        var box = $('figure-' + n);
        if (!box) {
          box = document.createElement('div');
          box.className = 'figure';
          box.id = 'figure-' + n;
          g.appendChild(box);
        }
        build(n, box);
        try {
          draw(n);
        } catch (e) { // one figure's failure leaves the others and the live updates working
          console.error('drawing ' + (doc.figures[n] || {}).name + ': ' + e);
        }
      });
    });
    version++;
    document.body.dataset.version = version;
  }

  ['change', 'input'].forEach(function (ev) {
    [ui.scale, ui.vmin, ui.vmax, ui.shared].forEach(function (el) { el.addEventListener(ev, drawAll); });
  });
  $('savepng').addEventListener('click', function () { doc.figures.forEach(function (_, n) { savePNG(n); }); });

  if (doc.live && window.EventSource) {
    var es = new EventSource('events');
    // Updates are drawn at most once per task, from the newest state: a redraw of every plot can
    // take longer than the server's interval (software WebGL, a busy machine), and drawing each
    // queued update in turn would leave the page further behind the scan with every one.
    var latest = null, ended = false;
    es.onmessage = function (e) {
      if (latest === null) setTimeout(redraw, 0);
      latest = e.data;
    };
    var redraw = function () {
      var d = JSON.parse(latest);
      latest = null;
      doc.figures = d.figures;
      doc.path = d.path;
      drawAll();
      if (!ended) ui.status.textContent = 'live: updated ' + new Date().toLocaleTimeString();
    };
    es.addEventListener('end', function () {
      ended = true;
      es.close();
      ui.status.textContent = 'the server stopped; this is the final state (' + new Date().toLocaleTimeString() + ')';
    });
    es.onerror = function () { ui.status.textContent = 'live: not connected to the server (it stopped?); retrying'; };
    ui.status.textContent = 'live: connecting';
  }

  drawAll();
})();
