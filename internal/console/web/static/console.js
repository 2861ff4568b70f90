// patrol console: keyboard-first queue and case pages, suppressions.
// No framework: the pages are rendered by the server; this script adds
// the keys, the verdict requests (with the session's CSRF token) and the
// queue's check for new cases.
(() => {
  'use strict';
  const csrf = document.body.dataset.csrf;
  const status = document.getElementById('status');
  // The page's messages (the catalogue's js.* and recheck.*, in the
  // page's language) come in body data-msgs: no inline script.
  let msgs = {};
  try { msgs = JSON.parse(document.body.dataset.msgs || '{}'); } catch (e) { /* none */ }
  // t is message id with {{.Name}} replaced from args.
  function t(id, args) {
    return (msgs[id] || id).replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, k) => (args && k in args) ? String(args[k]) : '');
  }

  function say(msg, err) {
    status.textContent = msg;
    status.classList.toggle('error', !!err);
    if (!err) setTimeout(() => { if (status.textContent === msg) status.textContent = ''; }, 4000);
  }

  async function send(method, url, body) {
    const r = await fetch(url, {
      method, credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = {};
    try { data = await r.json(); } catch (e) { /* not JSON */ }
    if (!r.ok) throw new Error(data.error || (r.status + ' ' + r.statusText));
    return data;
  }
  window.patrol = {send, say, t};

  // typing reports whether a key goes to a text field.
  function typing(e) {
    const t = e.target;
    if (!t || !t.tagName) return false;
    if (t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable) return true;
    return t.tagName === 'INPUT' && t.type !== 'checkbox' && t.type !== 'radio';
  }
  const modified = e => e.ctrlKey || e.metaKey || e.altKey;

  function queue() {
    const table = document.getElementById('queue');
    const rows = [...document.querySelectorAll('tr.row')];
    const memo = 'patrol.queue.sel';
    let sel = Math.max(0, rows.findIndex(r => r.dataset.case === sessionStorage.getItem(memo)));
    const mark = () => {
      rows.forEach((r, i) => r.classList.toggle('sel', i === sel));
      if (rows[sel]) {
        rows[sel].scrollIntoView({block: 'nearest'});
        sessionStorage.setItem(memo, rows[sel].dataset.case);
      }
    };
    const open = () => { if (rows[sel]) location.href = rows[sel].dataset.href; };
    mark();
    rows.forEach((r, i) => r.addEventListener('click', e => {
      if (e.target.tagName === 'A') return;
      sel = i; mark(); open();
    }));
    document.getElementById('filters').addEventListener('change', e => e.currentTarget.submit());
    document.addEventListener('keydown', e => {
      if (typing(e) || modified(e)) return;
      switch (e.key) {
        case 'j': case 'ArrowDown': sel = Math.min(rows.length - 1, sel + 1); mark(); e.preventDefault(); break;
        case 'k': case 'ArrowUp': sel = Math.max(0, sel - 1); mark(); e.preventDefault(); break;
        case 'Enter': e.preventDefault(); open(); break;
        case 'u': location.reload(); break;
      }
    });
    // New cases: an empty queue refreshes itself, a list being worked
    // through shows a banner instead of moving under the dispatcher.
    const q = table.dataset.query;
    setInterval(async () => {
      try {
        const r = await fetch('/api/queue' + (q ? '?' + q : ''), {credentials: 'same-origin'});
        if (!r.ok) return;
        const d = await r.json();
        const top = d.items.length ? d.items[0].case_id : '';
        if (d.total === +table.dataset.total && top === table.dataset.top) return;
        if (rows.length === 0) location.reload();
        else document.getElementById('fresh').hidden = false;
      } catch (e) { /* offline: try again later */ }
    }, 4000);
  }

  // rechecks: the 核查 button (dispatchers) asks the camera's worker for a
  // fresh look, then the list is polled until the answer is there.
  function rechecks(id) {
    const btn = document.getElementById('recheck-button');
    if (!btn) return;
    const wait = document.getElementById('recheck-wait');
    const body = document.querySelector('#rechecks tbody');
    const form = document.getElementById('reject-form');
    const label = s => msgs['recheck.' + s] || s;
    // reason: as the page's recheckReason (the head and known details).
    const reason = r => {
      const i = r.indexOf(': ');
      if (i < 0) return msgs['recheck.reason.' + r] || msgs['recheck.detail.' + r] || r;
      const head = r.slice(0, i), d = r.slice(i + 2);
      return (msgs['recheck.reason.' + head] || head) + (msgs.colon || ': ') + (msgs['recheck.detail.' + d] || d);
    };
    const when = v => v ? new Date(v).toLocaleString('sv-SE', {timeZone: document.body.dataset.tz || undefined}) : '';
    const api = '/api/cases/' + encodeURIComponent(id);
    function row(v) {
      const tr = document.createElement('tr');
      tr.dataset.request = v.request_id;
      const cells = [when(v.requested_at) + (v.user ? ' · ' + v.user : ''), '', reason(v.reason || ''),
        when(v.answered_at) + (v.worker ? ' · ' + v.worker : ''), ''];
      for (const c of cells) { const td = document.createElement('td'); td.textContent = c; tr.appendChild(td); }
      const st = tr.children[1];
      if (v.status) {
        const span = document.createElement('span');
        span.className = 'recheck-status recheck-' + v.status;
        span.textContent = label(v.status);
        st.appendChild(span);
        if (v.score) st.append(' ' + v.score.toFixed(2));
      } else {
        st.textContent = t('recheck.waiting');
      }
      if (v.picture) {
        const a = document.createElement('a');
        a.href = v.picture; a.target = '_blank'; a.rel = 'noopener';
        const img = document.createElement('img');
        img.className = 'recheck-pic'; img.src = v.picture; img.alt = t('recheck.picture');
        a.appendChild(img);
        tr.children[4].appendChild(a);
      }
      return tr;
    }
    let busy = false;
    async function ask() {
      if (busy) return;
      busy = true; btn.disabled = true; wait.hidden = false;
      try {
        const d = await send('POST', api + '/recheck', {});
        say(t('js.recheck_sent'));
        for (const until = Date.now() + 60000; Date.now() < until;) {
          await new Promise(r => setTimeout(r, 1000));
          const r = await fetch(api + '/rechecks', {credentials: 'same-origin'});
          if (!r.ok) continue;
          const list = await r.json();
          body.replaceChildren(...list.map(row));
          const mine = list.find(v => v.request_id === d.request_id);
          if (mine && mine.status) { say(t('js.recheck_result', {Status: label(mine.status)})); return; }
        }
        say(t('js.recheck_no_answer'), true);
      } catch (err) {
        say(t('js.recheck_not_sent', {Err: err.message}), true);
      } finally {
        busy = false; btn.disabled = false; wait.hidden = true;
      }
    }
    btn.addEventListener('click', ask);
    document.addEventListener('keydown', e => {
      if (typing(e) || modified(e) || e.key !== 'h' || (form && !form.hidden)) return;
      e.preventDefault();
      ask();
    });
  }

  function casePage() {
    const root = document.getElementById('case');
    const id = root.dataset.case, seq = +root.dataset.seq, next = root.dataset.next, query = root.dataset.query;
    const form = document.getElementById('reject-form');
    rechecks(id);
    if (!form) {
      document.addEventListener('keydown', e => {
        if (!typing(e) && !modified(e) && (e.key === 'n' || e.key === 'Escape')) location.href = next;
      });
      return;
    }
    const note = document.getElementById('note');
    const suppress = document.getElementById('suppress');
    let busy = false;
    async function verdict(body) {
      if (busy) return;
      busy = true;
      body.seq = seq;
      body.filter = query;
      try {
        const d = await send('POST', '/api/cases/' + encodeURIComponent(id) + '/verdict', body);
        say(t(body.verdict === 'confirmed' ? 'js.confirmed' : d.suppression ? 'js.rejected_suppressed' : 'js.rejected'));
        location.href = d.next;
      } catch (err) {
        say(t('js.not_saved', {Err: err.message}), true);
        busy = false;
      }
    }
    const highlight = () => form.querySelectorAll('input[name=reason]').forEach(r => r.parentElement.classList.toggle('picked', r.checked));
    const openReject = () => { form.hidden = false; form.querySelector('input[name=reason]').focus(); };
    const closeReject = () => { form.hidden = true; if (document.activeElement) document.activeElement.blur(); };
    function pick(n) {
      const r = form.querySelector('input[name=reason][data-key="' + n + '"]');
      if (!r) return;
      r.checked = true;
      r.focus();
      highlight();
      if (r.value === 'other') note.focus();
    }
    function submitReject() {
      const r = form.querySelector('input[name=reason]:checked');
      if (!r) { say(t('js.pick_reason'), true); return; }
      if (r.value === 'other' && !note.value.trim()) { say(t('js.other_needs_note'), true); note.focus(); return; }
      verdict({verdict: 'rejected', reason: r.value, note: note.value.trim(), suppress: suppress.checked});
    }
    document.getElementById('confirm').addEventListener('click', () => verdict({verdict: 'confirmed'}));
    document.getElementById('reject').addEventListener('click', openReject);
    form.addEventListener('submit', e => { e.preventDefault(); submitReject(); });
    form.addEventListener('change', highlight);
    document.addEventListener('keydown', e => {
      if (modified(e)) return;
      if (e.target === note) {
        if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); submitReject(); }
        if (e.key === 'Escape') { e.preventDefault(); note.blur(); }
        return;
      }
      if (typing(e)) return;
      if (!form.hidden) {
        if (e.key >= '1' && e.key <= '5') { e.preventDefault(); pick(e.key); return; }
        if (e.key === 's') { e.preventDefault(); suppress.checked = !suppress.checked; return; }
        if (e.key === 'Enter') { e.preventDefault(); submitReject(); return; }
        if (e.key === 'Escape') { e.preventDefault(); closeReject(); return; }
        if (e.key !== 'n') return;
      }
      switch (e.key) {
        case 'c': e.preventDefault(); verdict({verdict: 'confirmed'}); break;
        case 'r': e.preventDefault(); openReject(); break;
        case 'n': case 'Escape': e.preventDefault(); location.href = next; break;
      }
    });
  }

  function suppressions() {
    document.querySelectorAll('button.remove').forEach(b => b.addEventListener('click', async () => {
      if (!b.dataset.armed) { b.dataset.armed = '1'; b.textContent = t('js.really_remove'); return; }
      try {
        await send('DELETE', '/api/suppressions/' + encodeURIComponent(b.dataset.id));
        location.reload();
      } catch (err) { say(t('js.not_removed', {Err: err.message}), true); }
    }));
  }

  ({queue, case: casePage, suppressions}[document.body.dataset.page] || (() => {}))();
  document.body.dataset.ready = 'true'; // the keys work from now on
})();
