// Lifeboat's web page: the runbook catalogue, starting runs, watching them, approving and cancelling.
'use strict';

const state = { runbooks: [], selected: null, run: null, shown: {} };

// re-render only what changed, so a button is not replaced under the user's pointer every refresh
function changed(key, data) {
  const text = JSON.stringify(data);
  if (state.shown[key] === text) return false;
  state.shown[key] = text;
  return true;
}

async function call(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (res.status === 401 && path !== '/api/session') showSignIn(true);
  if (!res.ok) {
    const err = new Error((data && data.error) || ('HTTP ' + res.status));
    err.status = res.status;
    err.data = data;
    throw err;
  }
  return data;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  });
  children.flat().forEach(c => e.append(c instanceof Node ? c : document.createTextNode(c == null ? '' : String(c))));
  return e;
}

function time(ms) { return ms ? new Date(ms).toLocaleString() : ''; }

function size(n) {
  if (!n) return '0 B';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  const i = Math.min(u.length - 1, Math.floor(Math.log(n) / Math.log(1024)));
  return (n / Math.pow(1024, i)).toFixed(i ? 1 : 0) + ' ' + u[i];
}

function runPath(id) { return '/api/runs/' + encodeURIComponent(id).replace(/%40/g, '@').replace(/%2F/g, '/'); }

async function loadRunbooks() {
  const data = await call('GET', '/api/runbooks');
  state.runbooks = data;
  const list = document.getElementById('runbooks');
  list.replaceChildren(...data.map(r => r.valid
    ? el('li', { 'data-runbook': r.name, onclick: () => select(r) }, el('strong', {}, r.name), ' ',
      el('span', { class: 'muted' }, r.description))
    : el('li', { class: 'invalid', 'data-runbook': r.name },
      el('strong', {}, r.name), ' invalid: ' + r.file + (r.line ? ':' + r.line : '') + ': ' + r.reason)));
}

function select(r) {
  state.selected = r;
  const form = document.getElementById('start-form');
  form.hidden = false;
  document.getElementById('start-title').textContent = r.name;
  document.getElementById('start-description').textContent = r.description;
  document.getElementById('start-result').textContent = '';
  document.getElementById('plan').hidden = true;
  document.getElementById('start-params').replaceChildren(...r.params.map(p => [
    el('label', { for: 'param-' + p.name }, p.name + (p.required ? ' *' : '') + ' (' + p.type + ')'
      + (p.description ? ' — ' + p.description : '')),
    el('input', { id: 'param-' + p.name, name: p.name, 'data-type': p.type,
      placeholder: p.defaultValue == null ? '' : JSON.stringify(p.defaultValue) }),
  ]).flat());
}

// the steps a start would take, with the parameters filled in (POST .../plan starts nothing)
async function preview() {
  const list = document.getElementById('plan');
  const out = document.getElementById('start-result');
  try {
    const r = await call('POST', '/api/runbooks/' + encodeURIComponent(state.selected.name) + '/plan',
      { params: formParams() });
    out.className = '';
    out.textContent = '';
    list.replaceChildren(...r.steps.map(s => el('li', { 'data-step': s.id },
      el('strong', {}, s.id), ' ' + s.action + (s.approval ? ' (needs approval)' : '')
        + (s.finallyOf ? ' (finally of ' + s.finallyOf + ')' : ''),
      el('pre', {}, JSON.stringify(s.items || s.with || {}, null, 1)))));
    list.hidden = false;
  } catch (e) {
    list.hidden = true;
    out.className = 'error';
    out.textContent = e.message;
  }
}

function formParams() {
  const params = {};
  document.querySelectorAll('#start-params input').forEach(i => {
    if (i.value === '') return;
    const t = i.dataset.type;
    if (t === 'list') params[i.name] = i.value.split(',').map(s => s.trim()).filter(Boolean);
    else if (t === 'map') { try { params[i.name] = JSON.parse(i.value); } catch (e) { params[i.name] = i.value; } }
    else params[i.name] = i.value;
  });
  return params;
}

async function start(ev) {
  ev.preventDefault();
  const params = formParams();
  const out = document.getElementById('start-result');
  try {
    const r = await call('POST', '/api/runbooks/' + encodeURIComponent(state.selected.name) + '/runs', { params });
    out.className = '';
    out.textContent = 'started ' + r.id;
    state.run = r.id;
    await refresh();
  } catch (e) {
    out.className = 'error';
    out.textContent = e.message;
  }
}

// a run that completed without doing all of it (a backup short of unreadable files): not a plain green
function statusPill(status, warnings) {
  const warned = status === 'COMPLETED' && warnings && warnings.length > 0;
  return el('span', { class: 'pill ' + (warned ? 'WARNINGS' : status),
    title: warned ? warnings.map(w => w.step + ': ' + w.text).join('\n') : '' },
    warned ? 'COMPLETED with warnings' : status);
}

async function loadRuns() {
  const data = await call('GET', '/api/runs');
  if (!changed('runs', data)) return;
  document.querySelector('#runs tbody').replaceChildren(...data.map(r =>
    el('tr', { class: 'clickable', 'data-run': r.id, onclick: () => { state.run = r.id; refresh(); } },
      el('td', {}, r.id), el('td', {}, statusPill(r.status, r.warnings)),
      el('td', {}, time(r.startedAt)),
      // the run's own page in the Temporal UI; a click there must not also select the row
      el('td', {}, r.links && r.links.temporal ? el('a', { href: r.links.temporal, target: '_blank', rel: 'noopener',
        class: 'temporal-link', onclick: ev => ev.stopPropagation() }, 'Temporal UI') : ''))));
}

async function loadRun() {
  const box = document.getElementById('run-detail');
  if (!state.run) { box.hidden = true; return; }
  let r;
  try {
    r = await call('GET', runPath(state.run));
  } catch (e) {
    // a run the server no longer knows (in-memory Temporal, restarted): say so, offer nothing to cancel
    if (e.status === 404 && e.data && e.data.lost) { showLost(state.run, e.message); return; }
    throw e;
  }
  box.hidden = false;
  document.getElementById('run-id').textContent = r.id;
  const st = document.getElementById('run-status');
  // a backup that could not read some files completes, but is no whole copy: not a plain green
  const warnings = r.warnings || [];
  const warned = r.status === 'COMPLETED' && warnings.length > 0;
  st.textContent = warned ? 'COMPLETED with warnings' : r.status;
  st.className = 'pill ' + (warned ? 'WARNINGS' : r.status);
  document.getElementById('run-elapsed').textContent =
    'started ' + time(r.startedAt) + ', ' + Math.round(r.elapsedMs / 1000) + ' s' + (r.currentStep ? ', now: ' + r.currentStep : '');
  document.getElementById('run-error').textContent = r.error || '';
  document.getElementById('run-warnings').replaceChildren(...warnings.map(w =>
    el('div', { 'data-warning': w.step }, 'warning: ' + w.step + ': ' + w.text)));
  document.getElementById('cancel-button').hidden = !(r.status === 'RUNNING' || r.status === 'WAITING_FOR_APPROVAL');
  const ui = document.getElementById('run-temporal');
  ui.hidden = !(r.links && r.links.temporal);
  if (!ui.hidden) ui.href = r.links.temporal;
  if (!changed('steps', [r.id, r.steps])) return;
  document.querySelector('#steps tbody').replaceChildren(...r.steps.map(s => {
    const bar = s.bytesTotal > 0 ? el('progress', { max: s.bytesTotal, value: s.bytesDone }) : '';
    const counts = (s.bytesDone || s.filesDone) ? size(s.bytesDone) + (s.bytesTotal ? ' of ' + size(s.bytesTotal) : '')
      + ', ' + s.filesDone + ' files' : '';
    const took = s.endedAt && s.startedAt ? ((s.endedAt - s.startedAt) / 1000).toFixed(1) + ' s' : '';
    const details = el('div', {},
      s.message ? el('div', {}, s.message) : '',
      s.warning ? el('div', { class: 'warning' }, s.warning) : '',
      s.lastError ? el('div', { class: 'error' }, s.lastError) : '',
      s.attempt > 1 ? el('div', { class: 'muted' }, 'attempt ' + s.attempt) : '',
      s.attempts && s.attempts.length ? el('ol', { class: 'attempts', 'data-attempts': s.id },
        s.attempts.map(a => el('li', {}, time(a.at) + ': ' + a.error))) : '',
      s.approval ? el('div', { class: 'approval', 'data-approval': s.id }, 'approved by ' + s.approval.by
        + (s.approval.from ? ' from ' + s.approval.from : '') + ' at ' + time(s.approval.at)
        + (s.approval.comment ? ': ' + s.approval.comment : '')) : '',
      s.approvalGroup && !s.approval ? el('div', { class: 'muted' }, 'needs an approver of group ' + s.approvalGroup) : '',
      took ? el('div', { class: 'muted' }, took) : '',
      s.log && s.log.length ? el('pre', {}, s.log.slice(-20).join('\n')) : '');
    const action = s.state === 'WAITING_FOR_APPROVAL'
      ? el('button', { class: 'approve', 'data-approve': s.id, onclick: () => approve(s.id) }, 'Approve') : '';
    return el('tr', { 'data-step': s.id },
      el('td', {}, s.id, el('div', { class: 'muted' }, s.action + (s.phase === 'finally' ? ' (finally)' : ''))),
      el('td', {}, el('span', { class: 'pill ' + s.state }, s.state)),
      el('td', {}, bar, el('div', { class: 'muted' }, counts)), el('td', {}, details), el('td', {}, action));
  }));
}

function showLost(id, message) {
  document.getElementById('run-detail').hidden = false;
  document.getElementById('run-id').textContent = id;
  const st = document.getElementById('run-status');
  st.textContent = 'LOST';
  st.className = 'pill LOST';
  document.getElementById('run-elapsed').textContent = '';
  document.getElementById('run-error').textContent = message;
  document.getElementById('run-warnings').replaceChildren();
  document.getElementById('cancel-button').hidden = true;
  document.getElementById('run-temporal').hidden = true;
  if (changed('steps', [id, 'lost'])) document.querySelector('#steps tbody').replaceChildren();
}

async function approve(stepId) {
  try {
    await call('POST', runPath(state.run) + '/approve/' + encodeURIComponent(stepId));
  } catch (e) {
    // e.g. 403: the step needs an approver group this caller is not in
    document.getElementById('run-error').textContent = e.message;
    return;
  }
  await refresh();
}

async function cancelRun() {
  await call('POST', runPath(state.run) + '/cancel');
  await refresh();
}

async function loadBackups() {
  let data;
  try { data = await call('GET', '/api/backups'); } catch (e) { return; }
  if (!changed('backups', data)) return;
  document.querySelector('#backups tbody').replaceChildren(...data.map(b =>
    el('tr', { 'data-archive': b.set + '/' + b.source + '/' + b.name }, el('td', {}, b.set + ' / ' + b.source), el('td', {}, b.name, el('div', { class: 'muted' }, time(b.createdAt))),
      el('td', {}, size(b.sizeBytes)), el('td', {}, b.files), el('td', {},
        el('span', { class: 'pill ' + (b.state === 'damaged' ? 'FAILED' : b.state === 'verified' ? 'SUCCEEDED' : 'PENDING') },
          b.missing ? 'missing' : b.state || (b.verified ? 'verified' : 'unverified')),
        b.error ? el('div', { class: 'muted' }, b.error) : '',
        b.unreadable ? el('div', { class: 'warning', 'data-unreadable': b.unreadable }, unreadable(b.unreadable)) : ''))));
  renderProtection(data);
}

// an archive whose backup could not read some entries: good for what it holds, not a whole copy
function unreadable(n) {
  return 'incomplete: ' + (n === 1 ? '1 entry could not be read and is' : n + ' entries could not be read and are') + ' NOT in it';
}

// per set/source: how old the newest good archive is (the RPO right now) and what the last drill proved
function renderProtection(archives) {
  const bySource = new Map();
  for (const b of archives) {
    const key = b.set + ' / ' + b.source;
    const p = bySource.get(key) || { newest: null, drill: null };
    if (b.state !== 'damaged' && (!p.newest || b.createdAt > p.newest.createdAt)) p.newest = b;
    if (b.lastDrill && (!p.drill || b.lastDrill.at > p.drill.at)) p.drill = b.lastDrill;
    bySource.set(key, p);
  }
  document.querySelector('#protection tbody').replaceChildren(...[...bySource.entries()].map(([key, p]) =>
    el('tr', { 'data-source': key }, el('td', {}, key),
      el('td', { class: 'rpo' }, p.newest ? duration(Date.now() - p.newest.createdAt) + ' ago' : 'no good archive',
        p.newest && p.newest.unreadable ? el('div', { class: 'warning', 'data-unreadable': p.newest.unreadable }, unreadable(p.newest.unreadable)) : ''),
      el('td', { class: 'drill' }, p.drill
        ? el('span', { class: 'pill ' + (p.drill.result === 'passed' ? 'SUCCEEDED' : 'FAILED') }, p.drill.result)
        : 'never drilled',
        p.drill ? el('div', { class: 'muted' }, time(p.drill.at)) : ''),
      el('td', { class: 'rto' }, p.drill && p.drill.result === 'passed' ? p.drill.seconds.toFixed(1) + ' s' : ''))));
}

function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return s + ' s';
  if (s < 7200) return Math.round(s / 60) + ' min';
  if (s < 172800) return Math.round(s / 3600) + ' h';
  return Math.round(s / 86400) + ' days';
}

// schedules live in Temporal; the page shows what the server says and, on the in-memory server, that they are off
async function loadSchedules() {
  if (state.signedOut) return;
  let data;
  try { data = await call('GET', '/api/schedules'); } catch (e) { return; }
  if (!changed('schedules', data)) return;
  const off = data.find(s => !s.enabled && s.reason);
  const banner = document.getElementById('schedules-off');
  banner.hidden = !off;
  banner.textContent = off ? 'schedules are off: ' + off.reason : '';
  document.querySelector('#schedules tbody').replaceChildren(...data.map(s => {
    const last = s.last;
    // Temporal keeps such a schedule as it was, still firing unless paused: say so in words
    const invalid = s.runbookInvalid;
    return el('tr', { 'data-schedule': s.name, class: invalid ? 'runbook-invalid' : '' },
      el('td', {}, el('strong', {}, s.name), el('div', { class: 'muted' }, s.runbook),
        invalid ? el('div', { class: 'error', 'data-runbook-invalid': '' }, el('span', { class: 'pill FAILED' }, 'runbook invalid'),
          ' ', s.reason || 'runbook ' + s.runbook + ' does not validate; the schedule is kept as it was') : ''),
      el('td', {}, s.cron + ' ' + s.timezone, s.jitter ? el('div', { class: 'muted' }, 'jitter ' + s.jitter) : '',
        s.skipped ? el('div', { class: 'muted' }, s.skipped + ' skipped (previous run still going)') : ''),
      el('td', {}, s.paused ? el('span', { class: 'pill PENDING' }, 'paused')
        : (s.next && s.next.length ? new Date(s.next[0]).toLocaleString() : '')),
      el('td', {}, last ? [statusPill(last.status, last.warnings),
        el('div', { class: 'muted' }, el('a', { href: '#', onclick: ev => { ev.preventDefault(); state.run = last.id; refresh(); } },
          last.id))] : ''),
      el('td', {}, s.enabled ? [
        el('button', { class: 'small', type: 'button', onclick: () => scheduleAction(s.name, s.paused ? 'resume' : 'pause') },
          s.paused ? 'Resume' : 'Pause'),
        // the server refuses to trigger a schedule whose runbook is invalid
        invalid ? '' : el('button', { class: 'small', type: 'button', onclick: () => scheduleAction(s.name, 'trigger') }, 'Trigger')] : ''));
  }));
}

async function scheduleAction(name, verb) {
  const out = document.getElementById('schedules-result');
  try {
    const r = await call('POST', '/api/schedules/' + encodeURIComponent(name) + '/' + verb);
    out.textContent = '';
    if (verb === 'trigger' && r && r.id) state.run = r.id;
  } catch (e) {
    out.textContent = e.message;
  }
  state.shown.schedules = null;
  await Promise.all([loadSchedules(), refresh()]);
}

// shown only when the API answers 401: Lifeboat has tokens and this browser has no session
function showSignIn(show) {
  state.signedOut = show;
  document.getElementById('signin-form').hidden = !show;
  document.querySelector('main').hidden = show;
  if (show) document.getElementById('signout-button').hidden = true;
}

async function loadWho() {
  const who = await call('GET', '/api/session');
  document.getElementById('who').textContent = who.tokens ? who.name + ' (' + who.role + ')' : '';
  document.getElementById('signout-button').hidden = !who.tokens;
}

async function signIn(ev) {
  ev.preventDefault();
  const out = document.getElementById('signin-result');
  const input = document.getElementById('signin-token');
  try {
    await call('POST', '/api/session', { token: input.value });
    input.value = '';
    out.textContent = '';
    showSignIn(false);
    boot();
  } catch (e) {
    out.textContent = e.message;
  }
}

async function signOut() {
  await call('DELETE', '/api/session');
  state.shown = {};
  showSignIn(true);
}

async function loadHealth() {
  const h = document.getElementById('health');
  try {
    const res = await fetch('/admin/healthcheck');
    if (res.status === 401) return;
    h.textContent = res.ok ? 'healthy' : 'unhealthy';
    h.className = 'pill ' + (res.ok ? 'healthy' : 'unhealthy');
  } catch (e) {
    h.textContent = 'unreachable';
    h.className = 'pill unhealthy';
  }
}

async function refresh() {
  if (state.signedOut) return;
  try {
    await Promise.all([loadRuns(), loadRun(), loadBackups(), loadHealth()]);
  } catch (e) {
    document.getElementById('run-error').textContent = e.message;
  }
}

document.getElementById('start-form').addEventListener('submit', start);
document.getElementById('preview-button').addEventListener('click', preview);
document.getElementById('cancel-button').addEventListener('click', cancelRun);
document.getElementById('signin-form').addEventListener('submit', signIn);
document.getElementById('signout-button').addEventListener('click', signOut);
function boot() { loadRunbooks().then(refresh).then(loadWho).then(loadSchedules).catch(() => {}); }
boot();
setInterval(refresh, 1500);
setInterval(loadSchedules, 10000);
