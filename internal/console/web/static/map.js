// patrol console: the map page (/map). A small Web Mercator map of our
// own, no library (docs/console.md says why): the tiles of
// console.map.tiles as <img> in a positioned pane, or without tiles a
// plain grid with the 单元网格 codes of the cameras; cameras and open
// cases as elements placed at their coordinates. Drag to pan; the wheel,
// the buttons or + and - to zoom; 0 fits everything.
(() => {
  'use strict';
  const el = document.getElementById('map');
  // t is the page's message (the catalogue's js.map.*, body data-msgs).
  const t = (id, args) => window.patrol.t(id, args);
  if (!el) return;
  const T = 256, MAXLAT = 85.05112878;
  const tilesPane = el.querySelector('.map-tiles');
  const gridPane = el.querySelector('.map-grid');
  const marksPane = el.querySelector('.map-marks');
  let layer = null, marks = [], pop = null, loaded = false;
  let z = 2, cx = 0.5, cy = 0.5; // zoom and centre (Web Mercator, 0..1)

  // project maps WGS 84 degrees to Web Mercator coordinates in 0..1.
  function project(lat, lon) {
    const s = Math.sin(Math.max(-MAXLAT, Math.min(MAXLAT, lat)) * Math.PI / 180);
    return [(lon + 180) / 360, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
  }
  function unproject(x, y) {
    return [Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180 / Math.PI, x * 360 - 180];
  }
  const size = () => T * Math.pow(2, z);
  // origin is the world pixel at the view's top left corner.
  const origin = () => [Math.round(cx * size() - el.clientWidth / 2), Math.round(cy * size() - el.clientHeight / 2)];
  const put = (node, x, y) => { node.style.left = x + 'px'; node.style.top = y + 'px'; };
  function make(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  const tiles = new Map(); // "layer/z/x/y" -> img
  function drawTiles(x0, y0) {
    const n = Math.pow(2, z), w = el.clientWidth, h = el.clientHeight, want = new Set();
    for (let ty = Math.floor(y0 / T); ty * T < y0 + h; ty++) {
      if (ty < 0 || ty >= n) continue;
      for (let tx = Math.floor(x0 / T); tx * T < x0 + w; tx++) {
        const wx = ((tx % n) + n) % n;
        layer.tiles.forEach((tpl, i) => {
          const key = i + '/' + z + '/' + tx + '/' + ty;
          want.add(key);
          let img = tiles.get(key);
          if (!img) {
            img = make('img', 'tile');
            img.alt = '';
            img.draggable = false;
            img.referrerPolicy = 'strict-origin'; // keys bound to the console's domain need it
            img.style.zIndex = i;
            img.dataset.tile = z + '/' + wx + '/' + ty;
            img.addEventListener('error', () => img.classList.add('tile-missing'));
            img.src = tpl.split('{z}').join(z).split('{x}').join(wx).split('{y}').join(ty);
            tiles.set(key, img);
            tilesPane.appendChild(img);
          }
          put(img, tx * T - x0, ty * T - y0);
        });
      }
    }
    for (const [k, img] of tiles) if (!want.has(k)) { img.remove(); tiles.delete(k); }
  }

  // nice rounds a step up to 1, 2 or 5 times a power of ten.
  function nice(v) {
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    return (v / p <= 1 ? 1 : v / p <= 2 ? 2 : v / p <= 5 ? 5 : 10) * p;
  }
  // drawGrid draws the plain background: lines of latitude and longitude
  // and, around the cameras of each 单元网格 code, a box with the code.
  function drawGrid(x0, y0) {
    gridPane.textContent = '';
    const w = el.clientWidth, h = el.clientHeight, S = size();
    const step = nice(360 / S * 140), dec = Math.max(0, -Math.floor(Math.log10(step)));
    const [latTop, lonLeft] = unproject(x0 / S, y0 / S), [latBottom, lonRight] = unproject((x0 + w) / S, (y0 + h) / S);
    for (let lon = Math.ceil(lonLeft / step) * step; lon <= lonRight; lon += step) {
      const l = make('div', 'gl v');
      l.appendChild(make('span', '', lon.toFixed(dec) + '°E'));
      put(l, project(0, lon)[0] * S - x0, 0);
      gridPane.appendChild(l);
    }
    for (let lat = Math.ceil(latBottom / step) * step; lat <= latTop; lat += step) {
      const l = make('div', 'gl h');
      l.appendChild(make('span', '', lat.toFixed(dec) + '°N'));
      put(l, 0, project(lat, 0)[1] * S - y0);
      gridPane.appendChild(l);
    }
    const cells = new Map();
    for (const m of marks) {
      if (!m.grid) continue;
      const b = cells.get(m.grid) || [Infinity, Infinity, -Infinity, -Infinity];
      cells.set(m.grid, [Math.min(b[0], m.x), Math.min(b[1], m.y), Math.max(b[2], m.x), Math.max(b[3], m.y)]);
    }
    for (const [code, b] of cells) {
      const c = make('div', 'grid-cell');
      c.dataset.grid = code;
      c.appendChild(make('span', '', t('js.map.grid', {Grid: code})));
      const pad = 28;
      put(c, b[0] * S - x0 - pad, b[1] * S - y0 - pad);
      c.style.width = ((b[2] - b[0]) * S + 2 * pad) + 'px';
      c.style.height = ((b[3] - b[1]) * S + 2 * pad) + 'px';
      gridPane.appendChild(c);
    }
  }

  function render() {
    if (!layer) return;
    const [x0, y0] = origin(), S = size();
    if (layer.tiles.length) drawTiles(x0, y0); else drawGrid(x0, y0);
    for (const m of marks) put(m.node, m.x * S - x0, m.y * S - y0);
    if (pop) put(pop.node, pop.x * S - x0, pop.y * S - y0);
    el.dataset.zoom = z;
  }

  const stateNames = {streaming: t('js.map.state.streaming'), connecting: t('js.map.state.connecting'), stalled: t('js.map.state.stalled'),
    offline: t('js.map.state.offline')};
  const eventNames = {warning: t('js.map.event.warning'), opened: t('js.map.event.opened'), updated: t('js.map.event.updated'),
    closed: t('js.map.event.closed')};
  function link(href, text) { const a = make('a', '', text); a.href = href; return a; }

  function openPop(cam, x, y) {
    closePop();
    const node = make('div', 'map-pop');
    node.dataset.camera = cam.id;
    node.appendChild(make('strong', '', (cam.name ? cam.name + ' · ' : '') + cam.id));
    const place = [cam.address, cam.grid ? t('js.map.grid', {Grid: cam.grid}) : ''].filter(Boolean).join(' · ');
    if (place) node.appendChild(make('div', 'sub', place));
    node.appendChild(make('div', '', t('js.map.state', {State: stateNames[cam.state] || cam.state || t('js.map.no_report')}) + (cam.problem ? ' · ' + cam.problem : '')));
    const ul = make('ul');
    const li = a => { const i = make('li'); i.appendChild(a); ul.appendChild(i); return a; };
    li(link(cam.queue, t('js.map.to_review', {N: cam.open})));
    li(link(cam.link, t('js.map.camera_page')));
    if (cam.zones) li(link(cam.zones, t('js.map.edit_zones'))).className = 'zones-link';
    node.appendChild(ul);
    marksPane.appendChild(node);
    pop = {node, x, y};
    render();
  }
  function closePop() { if (pop) { pop.node.remove(); pop = null; } }

  // build makes the markers: a square per camera, and per place a pin per
  // open case (at most 8, stacked above the place, newest lowest; the
  // rest behind one "+n" head to the camera's queue).
  function build() {
    marksPane.textContent = '';
    pop = null;
    marks = [];
    for (const cam of layer.cameras) {
      const [x, y] = project(cam.lat, cam.lon);
      const b = make('button', 'cam-mark cam-' + (cam.state || 'none') + (cam.problem ? ' problem' : ''));
      b.type = 'button';
      b.title = (cam.name || cam.id) + ' · ' + (stateNames[cam.state] || t('js.map.no_report'));
      b.dataset.camera = cam.id;
      b.addEventListener('click', () => openPop(cam, x, y));
      marksPane.appendChild(b);
      marks.push({node: b, x, y, grid: cam.grid}); // the 单元网格 boxes hold the cameras
    }
    const places = new Map();
    for (const c of layer.cases) {
      const k = c.lat.toFixed(6) + ',' + c.lon.toFixed(6);
      if (!places.has(k)) places.set(k, []);
      places.get(k).push(c);
    }
    for (const list of places.values()) {
      const [x, y] = project(list[0].lat, list[0].lon);
      list.slice(0, 8).forEach((c, i) => {
        const pin = make('div', 'case-pin'), up = 28 + 22 * i;
        pin.dataset.case = c.case_id;
        pin.dataset.camera = c.camera_id;
        const stem = make('div', 'stem');
        stem.style.height = up + 'px';
        const head = link(c.link, c.code || '?');
        head.className = 'case-head level-' + c.level + (c.state === 'warning' ? ' pin-warning' : c.state === 'closed' ? ' pin-closed' : '');
        head.title = [c.code + ' ' + c.rule, c.severity, eventNames[c.state] || c.state, c.camera_name || c.camera_id,
          c.address, new Date(c.confirmed_at).toLocaleString('sv-SE', {timeZone: document.body.dataset.tz || undefined})].filter(Boolean).join(' · ');
        put(head, 0, -up);
        pin.append(stem, head);
        marksPane.appendChild(pin);
        marks.push({node: pin, x, y});
      });
      if (list.length > 8) {
        const pin = make('div', 'case-pin');
        const head = link('/queue?camera=' + encodeURIComponent(list[0].camera_id), '+' + (list.length - 8));
        head.className = 'case-head more';
        put(head, 0, -(28 + 22 * 8));
        pin.appendChild(head);
        marksPane.appendChild(pin);
        marks.push({node: pin, x, y});
      }
    }
    const counts = document.getElementById('map-counts');
    counts.textContent = t('js.map.counts', {Cameras: layer.cameras.length, Cases: layer.cases_total});
    const ul = document.getElementById('unplaced');
    ul.textContent = '';
    for (const cam of layer.unplaced_cameras) {
      const li = make('li');
      li.append(link(cam.link, cam.name || cam.id), document.createTextNode((cam.grid ? ' · ' + t('js.map.grid', {Grid: cam.grid}) : '') + ' · ' + t('js.map.open', {N: cam.open})));
      ul.appendChild(li);
    }
    for (const c of layer.unplaced_cases) {
      const li = make('li');
      li.appendChild(link(c.link, c.code + ' ' + c.rule + ' · ' + (c.camera_name || c.camera_id)));
      ul.appendChild(li);
    }
    if (!ul.children.length) ul.appendChild(make('li', 'sub', t('js.map.none')));
    const empty = el.querySelector('.map-empty');
    if (empty) empty.remove();
    if (!marks.length) el.appendChild(make('div', 'map-empty', t('js.map.empty')));
  }

  // fit shows every marker, at the highest zoom that holds them.
  function fit() {
    const xs = marks.map(m => m.x), ys = marks.map(m => m.y);
    if (!xs.length) {
      if (layer.center) { [cx, cy] = project(layer.center[0], layer.center[1]); z = layer.zoom; } else { cx = cy = 0.5; z = 2; }
      return;
    }
    const x1 = Math.min(...xs), x2 = Math.max(...xs), y1 = Math.min(...ys), y2 = Math.max(...ys);
    const w = Math.max(el.clientWidth - 160, 64), h = Math.max(el.clientHeight - 160, 64);
    z = Math.min(layer.max_zoom, 17);
    while (z > 1 && ((x2 - x1) * size() > w || (y2 - y1) * size() > h)) z--;
    cx = (x1 + x2) / 2;
    cy = (y1 + y2) / 2;
  }

  function zoomBy(dz, px, py) {
    const nz = Math.max(1, Math.min(layer.max_zoom, z + dz));
    if (nz === z) return;
    if (px === undefined) { px = el.clientWidth / 2; py = el.clientHeight / 2; }
    const [x0, y0] = origin(), wx = (x0 + px) / size(), wy = (y0 + py) / size();
    z = nz;
    cx = wx - (px - el.clientWidth / 2) / size();
    cy = wy - (py - el.clientHeight / 2) / size();
    render();
  }
  function panBy(dx, dy) {
    cx -= dx / size();
    cy = Math.max(0, Math.min(1, cy - dy / size()));
    render();
  }

  let drag = null;
  el.addEventListener('mousedown', e => {
    if (e.button !== 0 || e.target.closest('a,button,.map-pop')) return;
    drag = {x: e.clientX, y: e.clientY};
    el.classList.add('dragging');
    el.focus();
    e.preventDefault();
  });
  window.addEventListener('mousemove', e => {
    if (!drag) return;
    panBy(e.clientX - drag.x, e.clientY - drag.y);
    drag = {x: e.clientX, y: e.clientY};
  });
  window.addEventListener('mouseup', () => { drag = null; el.classList.remove('dragging'); });
  el.addEventListener('click', e => { if (!e.target.closest('.map-pop,.cam-mark')) closePop(); });
  el.addEventListener('wheel', e => {
    if (!layer) return;
    e.preventDefault();
    const b = el.getBoundingClientRect();
    zoomBy(e.deltaY < 0 ? 1 : -1, e.clientX - b.left, e.clientY - b.top);
  }, {passive: false});
  el.addEventListener('keydown', e => {
    if (!layer || e.ctrlKey || e.metaKey || e.altKey) return;
    const keys = {'+': () => zoomBy(1), '=': () => zoomBy(1), '-': () => zoomBy(-1), '0': () => { fit(); render(); },
      ArrowLeft: () => panBy(100, 0), ArrowRight: () => panBy(-100, 0), ArrowUp: () => panBy(0, 100), ArrowDown: () => panBy(0, -100),
      Escape: closePop};
    if (keys[e.key]) { keys[e.key](); e.preventDefault(); }
  });
  document.getElementById('zoom-in').addEventListener('click', () => zoomBy(1));
  document.getElementById('zoom-out').addEventListener('click', () => zoomBy(-1));
  document.getElementById('zoom-fit').addEventListener('click', () => { fit(); render(); });
  window.addEventListener('resize', render);

  async function load() {
    const r = await fetch('/api/map', {credentials: 'same-origin'});
    if (!r.ok) throw new Error(r.status + ' ' + r.statusText);
    const first = !layer;
    layer = await r.json();
    build();
    if (first) {
      if (layer.center) { [cx, cy] = project(layer.center[0], layer.center[1]); z = layer.zoom; } else fit();
    }
    render();
    loaded = true;
    el.dataset.ready = 'true';
  }
  const fail = err => window.patrol && window.patrol.say(t('js.map.not_loaded', {Err: err.message}), true);
  load().catch(fail);
  // Open cases come and go: the layer is read again every 20 s (the view stays).
  setInterval(() => { if (!document.hidden && !drag && !pop) load().catch(fail); }, 20000);

  // For tests and the curious: the view (zoom and the world pixel at the
  // top left corner) and the projection.
  window.patrolMap = {
    loaded: () => loaded,
    view: () => { const [x0, y0] = origin(), [lat, lon] = unproject(cx, cy); return {zoom: z, x0, y0, lat, lon}; },
    project,
  };
})();
