// A small fs.globSync (patterns with *, ** and ?, relative to cwd or an
// absolute root) for Node < 22, where the conformance CLI's import of it fails.
import fs from 'node:fs';
import path from 'node:path';

function toRegExp(glob) {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') { i++; re += '(?:.*/)?'; } else { re += '.*'; }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if ('\\^$+.()|{}[]'.includes(c)) {
      re += '\\' + c;
    } else {
      re += c;
    }
  }
  return new RegExp('^' + re + '$');
}

function walk(dir, base, out) {
  let entries;
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    const rel = base ? base + '/' + e.name : e.name;
    out.push(rel);
    if (e.isDirectory() && e.name !== 'node_modules' && e.name !== '.git')
      walk(path.join(dir, e.name), rel, out);
  }
}

export function globSync(patterns, options = {}) {
  const list = Array.isArray(patterns) ? patterns : [patterns];
  const cwd = options.cwd ? String(options.cwd) : process.cwd();
  const results = new Set();
  for (const p of list) {
    const abs = path.isAbsolute(p);
    const root = abs ? '/' : cwd;
    const pat = abs ? p.slice(1) : p.replace(/^\.\//, '');
    // Start the walk at the longest literal directory prefix.
    const parts = pat.split('/');
    const lit = [];
    while (parts.length > 1 && !/[*?[{]/.test(parts[0])) lit.push(parts.shift());
    const start = path.join(root, ...lit);
    const names = [];
    walk(start, '', names);
    const re = toRegExp(parts.join('/'));
    for (const n of names) {
      if (re.test(n)) {
        const rel = [...lit, n].join('/');
        results.add(abs ? '/' + rel : rel);
      }
    }
  }
  return [...results].sort();
}

