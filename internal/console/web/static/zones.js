// patrol console: the camera's zones over its current picture, and the
// zone editor (drag points, add and remove points and zones, pick rules,
// save the registry record).
(() => {
  'use strict';
  const box = document.getElementById('picture');
  if (!box) return;
  const cam = box.dataset.camera;
  const edit = box.dataset.edit === 'true';
  const img = document.getElementById('picture-img');
  const canvas = document.getElementById('zones-canvas');
  const g = canvas.getContext('2d');
  const colors = ['#ff4d4f', '#40a9ff', '#73d13d', '#ffc53d', '#b37feb', '#36cfc9'];
  const hit = 10; // px
  let zones = [], rules = [], version = 0, sel = 0, drag = null, loaded = false;

  window.patrolZones = {zones: () => zones, version: () => version, loaded: () => loaded};

  function size() {
    const w = box.clientWidth;
    const h = img.hidden || !img.naturalWidth ? w * 9 / 16 : img.clientHeight;
    if (img.hidden) box.style.height = h + 'px';
    canvas.width = Math.round(w * devicePixelRatio);
    canvas.height = Math.round(h * devicePixelRatio);
    draw();
  }
  const missing = document.getElementById('picture-missing');
  const reload = () => { img.src = '/cameras/' + encodeURIComponent(cam) + '/picture.jpg?t=' + Date.now(); };
  img.addEventListener('load', () => {
    img.hidden = false;
    missing.hidden = true;
    box.style.height = '';
    size();
  });
  // No picture (the worker is restarting the camera, or the camera moved
  // to another worker): say so, draw on a blank frame, and try again.
  img.addEventListener('error', () => {
    img.hidden = true;
    missing.hidden = false;
    size();
    setTimeout(reload, 3000);
  });
  window.addEventListener('resize', size);

  const W = () => canvas.width, H = () => canvas.height;
  const px = p => [p[0] * W(), p[1] * H()];

  function draw() {
    g.clearRect(0, 0, W(), H());
    const r = devicePixelRatio;
    zones.forEach((z, i) => {
      const c = colors[i % colors.length];
      if (!z.polygon.length) return;
      g.beginPath();
      z.polygon.forEach((p, k) => { const [x, y] = px(p); k ? g.lineTo(x, y) : g.moveTo(x, y); });
      g.closePath();
      g.globalAlpha = edit && i === sel ? 0.3 : 0.18;
      g.fillStyle = c;
      g.fill();
      g.globalAlpha = 1;
      g.lineWidth = (edit && i === sel ? 3 : 2) * r;
      g.strokeStyle = c;
      g.stroke();
      const [lx, ly] = px(z.polygon[0]);
      g.font = (13 * r) + 'px system-ui, sans-serif';
      g.fillStyle = '#fff';
      g.fillText(z.id, lx + 6 * r, ly - 6 * r);
      if (edit) {
        z.polygon.forEach(p => {
          const [x, y] = px(p);
          g.beginPath();
          g.arc(x, y, (i === sel ? 6 : 4) * r, 0, 2 * Math.PI);
          g.fillStyle = i === sel ? '#fff' : c;
          g.fill();
          g.strokeStyle = c;
          g.lineWidth = 2 * r;
          g.stroke();
        });
      }
    });
  }

  // at converts a mouse event to canvas pixels.
  function at(e) {
    const b = canvas.getBoundingClientRect();
    return [(e.clientX - b.left) * W() / b.width, (e.clientY - b.top) * H() / b.height];
  }
  // nearestPoint finds the point within reach, the selected zone first.
  function nearestPoint(q) {
    const order = zones.map((_, i) => i).sort((a, b) => (b === sel) - (a === sel));
    for (const i of order) {
      for (let k = 0; k < zones[i].polygon.length; k++) {
        const [x, y] = px(zones[i].polygon[k]);
        if (Math.hypot(x - q[0], y - q[1]) <= hit * devicePixelRatio) return {zone: i, point: k};
      }
    }
    return null;
  }
  // nearestEdge finds the edge within reach and the point on it.
  function nearestEdge(q) {
    let best = null;
    zones.forEach((z, i) => z.polygon.forEach((p, k) => {
      const a = px(p), b = px(z.polygon[(k + 1) % z.polygon.length]);
      const dx = b[0] - a[0], dy = b[1] - a[1];
      const t = Math.max(0, Math.min(1, ((q[0] - a[0]) * dx + (q[1] - a[1]) * dy) / (dx * dx + dy * dy || 1)));
      const d = Math.hypot(a[0] + t * dx - q[0], a[1] + t * dy - q[1]);
      if (d <= hit * devicePixelRatio && (!best || d < best.d)) best = {zone: i, after: k, d, x: (a[0] + t * dx) / W(), y: (a[1] + t * dy) / H()};
    }));
    return best;
  }
  const clamp = v => Math.round(Math.max(0, Math.min(1, v)) * 10000) / 10000;

  function editor() {
    canvas.addEventListener('contextmenu', e => e.preventDefault());
    canvas.addEventListener('mousedown', e => {
      const n = nearestPoint(at(e));
      if (!n) return;
      e.preventDefault();
      sel = n.zone;
      if (e.altKey || e.button === 2) {
        if (zones[n.zone].polygon.length > 3) zones[n.zone].polygon.splice(n.point, 1);
        else patrol.say(patrol.t('js.zone_min_points'), true);
      } else {
        drag = n;
      }
      list();
      draw();
    });
    window.addEventListener('mousemove', e => {
      if (!drag) return;
      const q = at(e);
      zones[drag.zone].polygon[drag.point] = [clamp(q[0] / W()), clamp(q[1] / H())];
      draw();
    });
    window.addEventListener('mouseup', () => { if (drag) { drag = null; list(); } });
    canvas.addEventListener('dblclick', e => {
      const ed = nearestEdge(at(e));
      if (!ed) return;
      zones[ed.zone].polygon.splice(ed.after + 1, 0, [clamp(ed.x), clamp(ed.y)]);
      sel = ed.zone;
      list();
      draw();
    });
    document.getElementById('add-zone').addEventListener('click', () => {
      let n = zones.length + 1;
      while (zones.some(z => z.id === 'zone-' + n)) n++;
      zones.push({id: 'zone-' + n, polygon: [[0.35, 0.35], [0.65, 0.35], [0.65, 0.65], [0.35, 0.65]], rules: rules.length ? [rules[0].id] : []});
      sel = zones.length - 1;
      list();
      draw();
    });
    document.getElementById('save-zones').addEventListener('click', save);
    document.addEventListener('keydown', e => {
      if ((e.ctrlKey || e.metaKey) && e.key === 's') { e.preventDefault(); save(); }
    });
  }

  async function save() {
    const out = document.getElementById('zones-result');
    try {
      const d = await patrol.send('POST', '/api/cameras/' + encodeURIComponent(cam) + '/zones', {version, zones});
      version = d.version;
      out.textContent = patrol.t('js.zones_saved_at', {N: d.zones, Time: new Date().toLocaleTimeString()});
      out.className = 'sub saved';
      patrol.say(patrol.t('js.zones_saved'));
    } catch (err) {
      out.textContent = err.message;
      out.className = 'error';
      patrol.say(patrol.t('js.zones_not_saved'), true);
    }
  }

  // list renders the zone panel (editor) or the legend (camera page).
  function list() {
    if (!edit) {
      const ul = document.getElementById('zone-legend');
      ul.replaceChildren(...zones.map((z, i) => {
        const li = document.createElement('li');
        li.innerHTML = '<span class="swatch"></span>';
        li.firstChild.style.background = colors[i % colors.length];
        li.append(z.id + ': ' + z.rules.join(', '));
        return li;
      }));
      return;
    }
    const panel = document.getElementById('zone-list');
    panel.replaceChildren(...zones.map((z, i) => {
      const div = document.createElement('div');
      div.className = 'zone' + (i === sel ? ' sel' : '');
      div.addEventListener('click', () => { if (sel !== i) { sel = i; list(); draw(); } });
      const head = document.createElement('label');
      head.innerHTML = '<span class="swatch"></span>';
      head.append(patrol.t('js.zone_id') + ' ');
      head.firstChild.style.background = colors[i % colors.length];
      const id = document.createElement('input');
      id.type = 'text';
      id.value = z.id;
      id.className = 'zone-id';
      id.addEventListener('input', () => { z.id = id.value.trim(); draw(); });
      head.append(id);
      div.append(head);
      rules.forEach(r => {
        const l = document.createElement('label');
        const cb = document.createElement('input');
        cb.type = 'checkbox';
        cb.value = r.id;
        cb.checked = z.rules.includes(r.id);
        cb.addEventListener('change', () => { z.rules = rules.map(x => x.id).filter(x => x === r.id ? cb.checked : z.rules.includes(x)); });
        l.append(cb, ' ' + r.code + ' ' + (r.name || r.id) + ' (' + r.id + ')');
        div.append(l);
      });
      const info = document.createElement('div');
      info.className = 'sub';
      info.textContent = patrol.t('js.zone_points', {N: z.polygon.length}) + ' ' + z.polygon.map(p => p.map(v => v.toFixed(2)).join(',')).join(' ');
      const rm = document.createElement('button');
      rm.type = 'button';
      rm.textContent = patrol.t('js.zone_remove');
      rm.addEventListener('click', e => { e.stopPropagation(); zones.splice(i, 1); sel = 0; list(); draw(); });
      div.append(info, rm);
      return div;
    }));
  }

  async function load() {
    if (box.dataset.registry !== 'true') { loaded = true; return; }
    try {
      const r = await fetch('/api/cameras/' + encodeURIComponent(cam) + '/zones', {credentials: 'same-origin'});
      const d = await r.json();
      if (!r.ok) throw new Error(d.error || r.status);
      zones = d.zones.map(z => ({id: z.id, polygon: z.polygon || [], rules: z.rules || []}));
      rules = d.rules;
      version = d.version;
    } catch (err) {
      patrol.say(patrol.t('js.zones_not_loaded', {Err: err.message}), true);
    }
    loaded = true;
    list();
    size();
  }

  if (edit) editor();
  else setInterval(() => { if (!img.hidden) reload(); }, 5000);
  load();
  size();
})();
