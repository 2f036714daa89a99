// The archive browser: pick a set/source, then a date; browse or search that archive's files from its
// manifest; download one file, or a folder as a .tar.gz stream (both admin-only on the API).
'use strict';

const browser = { archives: [], files: [], cwd: '', archive: null };

function archiveBase(a) {
  return '/api/backups/' + encodeURIComponent(a.set) + '/' + encodeURIComponent(a.source) + '/' + encodeURIComponent(a.name);
}

async function browserLoadSources() {
  let data;
  try { data = await call('GET', '/api/backups'); } catch (e) { return; }
  if (!changed('browser-sources', data)) return;
  browser.archives = data;
  const sel = document.getElementById('browse-source');
  const keep = sel.value;
  const keys = [...new Set(data.map(a => a.set + '/' + a.source))].sort();
  sel.replaceChildren(el('option', { value: '' }, '— pick a set / source —'), ...keys.map(k => el('option', { value: k }, k)));
  if (keys.includes(keep)) sel.value = keep;
}

function browserPickSource() {
  const key = document.getElementById('browse-source').value;
  const dates = document.getElementById('browse-archive');
  const list = browser.archives.filter(a => a.set + '/' + a.source === key)
    .sort((a, b) => b.createdAt - a.createdAt);
  dates.replaceChildren(el('option', { value: '' }, '— pick a date —'), ...list.map(a =>
    el('option', { value: a.name }, time(a.createdAt) + ' · ' + a.name + (a.missing ? ' (missing)' : a.state && a.state !== 'verified' ? ' (' + a.state + ')' : ''))));
  browser.files = [];
  browser.archive = null;
  browserRender();
}

async function browserPickArchive() {
  const key = document.getElementById('browse-source').value;
  const name = document.getElementById('browse-archive').value;
  const a = browser.archives.find(x => x.set + '/' + x.source === key && x.name === name);
  const result = document.getElementById('browse-result');
  result.textContent = '';
  browser.archive = a || null;
  browser.files = [];
  browser.cwd = '';
  if (a) {
    try {
      browser.files = (await call('GET', archiveBase(a) + '/files')).files;
    } catch (e) {
      result.textContent = e.message;
    }
  }
  browserRender();
}

function browserOpen(dir) {
  browser.cwd = dir;
  document.getElementById('browse-search').value = '';
  browserRender();
}

function fileLink(path, label) {
  return el('a', { href: archiveBase(browser.archive) + '/file?path=' + encodeURIComponent(path), download: path.split('/').pop(),
    class: 'download', 'data-path': path }, label);
}

function folderLink(path, label) {
  return el('a', { href: archiveBase(browser.archive) + '/folder?path=' + encodeURIComponent(path), class: 'download-folder',
    'data-path': path }, label);
}

// the immediate children of the current folder, folders first
function children() {
  const prefix = browser.cwd ? browser.cwd + '/' : '';
  const seen = new Map();
  for (const f of browser.files) {
    if (!f.path.startsWith(prefix) || f.path === browser.cwd) continue;
    const rest = f.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    const name = slash < 0 ? rest : rest.slice(0, slash);
    const folder = slash >= 0 || f.type === 'dir';
    const prior = seen.get(name);
    if (!prior || folder) seen.set(name, folder ? { name, path: prefix + name, type: 'dir' } : { ...f, name });
  }
  return [...seen.values()].sort((a, b) => (a.type === 'dir' ? 0 : 1) - (b.type === 'dir' ? 0 : 1) || a.name.localeCompare(b.name));
}

function browserRender() {
  const body = document.querySelector('#browse-files tbody');
  const crumbs = document.getElementById('browse-path');
  const panel = document.getElementById('browse-listing');
  panel.hidden = !browser.archive;
  if (!browser.archive) { body.replaceChildren(); crumbs.replaceChildren(); return; }
  const query = document.getElementById('browse-search').value.trim().toLowerCase();
  const parts = browser.cwd ? browser.cwd.split('/') : [];
  crumbs.replaceChildren(el('a', { href: '#', onclick: ev => { ev.preventDefault(); browserOpen(''); } }, browser.archive.source),
    ...parts.flatMap((p, i) => [' / ', el('a', { href: '#', onclick: ev => { ev.preventDefault(); browserOpen(parts.slice(0, i + 1).join('/')); } }, p)]),
    ' ', folderLink(browser.cwd, 'Download this folder (.tar.gz)'));
  let rows;
  if (query) {
    rows = browser.files.filter(f => f.type !== 'dir' && f.path.split('/').pop().toLowerCase().includes(query)).slice(0, 500)
      .map(f => ({ ...f, name: f.path }));
  } else {
    rows = children();
  }
  body.replaceChildren(...rows.map(f => el('tr', { class: 'entry', 'data-path': f.path },
    el('td', {}, f.type === 'dir'
      ? el('a', { href: '#', class: 'folder', onclick: ev => { ev.preventDefault(); browserOpen(f.path); } }, f.name + '/')
      : f.type === 'file' || f.type === 'hardlink' ? fileLink(f.path, f.name) : f.name + (f.linkTarget ? ' → ' + f.linkTarget : '')),
    el('td', {}, f.type === 'dir' ? folderLink(f.path, '.tar.gz') : f.type === 'file' ? size(f.size) : f.type),
    el('td', { class: 'muted' }, time(f.mtime)))));
  document.getElementById('browse-count').textContent = query ? rows.length + ' match(es)' : '';
}

document.getElementById('browse-source').addEventListener('change', browserPickSource);
document.getElementById('browse-archive').addEventListener('change', browserPickArchive);
document.getElementById('browse-search').addEventListener('input', browserRender);
browserLoadSources();
setInterval(browserLoadSources, 5000);
