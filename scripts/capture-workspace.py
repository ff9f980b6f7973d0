#!/usr/bin/env python3
"""Capture the web-UI fixtures of PCF's project workspace (issue templates,
bulk issue operations, main PoC, tasks, files, chats, credentials import and
export, hosts import, services, network paths, issue share links) from a REAL
PCF started with /work/shared/pcf-real/start.sh (HEAD 6c83154).

Usage: capture-workspace.py CREDENTIALS_ENV OUT_DIR
  CREDENTIALS_ENV  credentials.env written by start.sh
  OUT_DIR          tests/fixtures/pcf/ui; the ws_*.json files are (over)written

Every fixture file is self-contained: it records the API v1 calls that build
its world (project, hosts, ports, hostnames), so a replay learns every id
from the answers.  After every write it checks that PCF still answers.
Talks HTTP to 127.0.0.1 only.  Standard library + requests.
"""
import json
import os
import re
import sys
import time

import requests

ENV = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\w+)='(.*)'$", line.strip())
    if m:
        ENV[m.group(1)] = m.group(2)
BASE = ENV['PCF_URL']
assert re.match(r'^http://127\.0\.0\.1:\d+$', BASE), BASE
OUT = sys.argv[2]
COMMIT = ENV.get('PCF_COMMIT', '')[:7]
NIL = '00000000-0000-4000-8000-000000000000'
UUID_RE = r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
# The replay maps this base URL to the fake's (see tests/contract/replay_fixtures.py).
CAPTURED_BASE = 'http://127.0.0.1:15731'
FIX = {}


def squash(s):
    return re.sub(r'\s+', ' ', s).strip()


def html_excerpt(text, hints=()):
    if '<html' not in text[:500]:
        return text[:300]
    parts = []
    t = re.search(r'<title>(.*?)</title>', text, re.S)
    if t:
        parts.append('<title>%s</title>' % squash(t.group(1)))
    for m in re.finditer(r'<div class="ui error message visible">(.*?)</ul>', text, re.S):
        parts.append(squash('<div class="ui error message visible">' + m.group(1) + '</ul>'))
    for pat in hints:
        # ('raw', pattern): kept as sent (e.g. a <code> block whose line
        # breaks matter); plain patterns are squashed like the rest.
        raw = isinstance(pat, tuple)
        for m in re.finditer(pat[1] if raw else pat, text, re.S):
            parts.append(m.group(0) if raw else squash(m.group(0))[:600])
    ex = '\n'.join(parts)
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value="<csrf token>"', ex)


def record(file, name, method, path, req_headers, body, resp, hints=()):
    ctype = resp.headers.get('Content-Type', '')
    hdrs = {'content-type': ctype}
    for h in ('Location', 'Content-Disposition'):
        if h in resp.headers:
            hdrs[h.lower()] = resp.headers[h].replace(BASE, CAPTURED_BASE)
    out = {'status': resp.status_code, 'headers': hdrs}
    if 'json' in ctype:
        try:
            out['body'] = resp.json()
        except ValueError:
            out['body'] = resp.text
    elif 'html' in ctype:
        out['body_excerpt'] = html_excerpt(resp.text, hints)
    else:
        txt = resp.content.decode('utf-8', 'replace')
        out['body'] = txt[:2000]
        if len(txt) > 2000:
            out['body_truncated'] = True
    FIX.setdefault(file, []).append({'name': name, 'pcf_commit': COMMIT,
                                     'request': {'method': method, 'path': path,
                                                 'headers': req_headers, 'body': body},
                                     'response': out})


API = requests.Session()
UI = requests.Session()


def api(file, name, route, body):
    r = API.post(BASE + route, json=body, timeout=15, allow_redirects=False)
    if file:
        rb = dict(body)
        rb['access_token'] = '<access_token>'
        record(file, name, 'POST', route, {'Content-Type': 'application/json'}, rb, r)
    return r


def csrf_from(html):
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return m.group(1) if m else None


def ui(file, name, method, path, data=None, files=None, headers=None, hints=()):
    """data: list of (key, value) pairs (repeated keys allowed)."""
    r = UI.request(method, BASE + path, data=data, files=files, headers=headers,
                   allow_redirects=False, timeout=60)
    rec = None
    if data is not None:
        rec = {}
        for k, v in data:
            if k == 'csrf_token':
                v = '<csrf_token from the page>'
            if k in rec:
                rec[k] = rec[k] if isinstance(rec[k], list) else [rec[k]]
                rec[k].append(v)
            else:
                rec[k] = v
    if files:
        rec = rec or {}
        fd = {}
        for field, (fn, content, ct) in files:
            try:
                c = content.decode('utf-8')
            except UnicodeDecodeError:
                c = '<binary %d bytes>' % len(content)
            fd[field] = {'filename': fn, 'content_type': ct, 'content': c}
        rec['__files__'] = fd
    hdr = {'Cookie': 'session=<session cookie>'}
    if files:
        hdr['Content-Type'] = 'multipart/form-data'
    elif data is not None:
        hdr['Content-Type'] = 'application/x-www-form-urlencoded'
    for k, v in (headers or {}).items():
        hdr[k] = v.replace(BASE, CAPTURED_BASE)
    record(file, name, method, path, hdr, rec, r, hints)
    return r


def alive(tag):
    try:
        ok = requests.post(BASE + '/api/v1/check_token', json={'access_token': T},
                           timeout=5).status_code == 200
    except requests.RequestException:
        ok = False
    print('[alive after %s] %s' % (tag, ok), flush=True)
    if not ok:
        raise SystemExit('server stopped answering after ' + tag)


def export(file=None, name=None, keep=()):
    """The JSON export; recorded (as an excerpt of the sections in keep)."""
    r = UI.get(BASE + '/project/%s/reports/export/json' % W.pid, timeout=30)
    assert r.status_code == 200, r.status_code
    doc = r.json()
    if file:
        body = {k: doc[k] for k in keep}
        body['_note'] = 'excerpt: only ' + ', '.join(keep)
        resp = type('R', (), {'status_code': 200,
                              'headers': {'Content-Type': 'application/json'},
                              'json': lambda self: body})()
        record(file, name, 'GET', '/project/%s/reports/export/json' % W.pid,
               {'Cookie': 'session=<session cookie>'}, None, resp)
    return doc


class World:
    pid = None


W = World()


def setup(file, title, hosts):
    """Records project/host/port/hostname creation into @file; returns ids."""
    now = int(time.time())
    W.pid = api(file, 'setup_project', '/api/v1/project/new',
                {'access_token': T, 'name': title, 'type': 'pentest',
                 'start_date': now - 86400, 'end_date': now + 30 * 86400,
                 'auto_archive': False}).json()['project_id']
    ids = {}
    for ip, ports, hostname in hosts:
        hid = api(file, 'setup_host_' + ip, '/api/v1/project/%s/host/new' % W.pid,
                  {'access_token': T, 'ip': ip, 'description': 'host ' + ip}).json()['host_id']
        ids[ip] = hid
        for port, tcp, svc in ports:
            ids['%s:%d' % (ip, port)] = api(
                file, 'setup_port_%s_%d' % (ip, port), '/api/v1/project/%s/port/new' % W.pid,
                {'access_token': T, 'host_id': hid, 'port': port, 'is_tcp': tcp,
                 'service': svc}).json()['port_id']
        if hostname:
            ids[hostname] = api(file, 'setup_hostname_' + hostname,
                                '/api/v1/project/%s/hostname/add' % W.pid,
                                {'access_token': T, 'host_id': hid,
                                 'hostname': hostname}).json()['id']
    return ids


def B64(s):
    import base64
    return base64.b64encode(s.encode()).decode()


def P(rest=''):
    return '/project/%s%s' % (W.pid, rest)


# ------------------------------------------------------------------ login
T = API.post(BASE + '/api/v1/create_token',
             json={'email': ENV['PCF_EMAIL'], 'password': ENV['PCF_PASSWORD'],
                   'name': 'ws-capture'}, timeout=15).json()['access_token']
r = UI.get(BASE + '/login', timeout=15)
r = UI.post(BASE + '/login', data={'csrf_token': csrf_from(r.text), 'email': ENV['PCF_EMAIL'],
                                   'password': ENV['PCF_PASSWORD']},
            allow_redirects=False, timeout=15)
assert r.status_code == 302, r.status_code
r = UI.get(BASE + '/new_project', timeout=15)
CSRF = csrf_from(r.text)
assert CSRF
ME = ENV['PCF_USER_ID']


def new_issue(file, name, fields=(), label=None):
    r = ui(file, label or 'new_issue_' + re.sub(r'\W+', '_', name.lower()), 'POST',
           P('/new_issue'), data=[('csrf_token', CSRF), ('name', name)] + list(fields))
    assert r.status_code == 302, (r.status_code, r.text[:300])
    return re.search(r'/issue/(' + UUID_RE + ')/', r.headers['Location']).group(1)


# ============================================================ issue templates
F = 'ws_issue_templates.json'
ids = setup(F, 'WS templates', [('10.20.0.5', [(443, True, 'https')], 'app.example.com')])
TPL_FORM = [('csrf_token', CSRF), ('template_name', 'Outdated __product__'),
            ('name', 'Outdated __product__ on __host__'),
            ('description', '__product__ __version__ has known vulnerabilities.'),
            ('url', '/'), ('cvss', '7.5'), ('criticality', '-1'),
            ('cvss_vector', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N'),
            ('status', 'Need to check'), ('cve', ''), ('cwe', '1104'),
            ('issue_type', 'vulnerability'), ('fix', 'Upgrade __product__.'),
            ('param', ''), ('technical', 'Banner: __product__/__version__'),
            ('risks', 'Known exploits.'), ('references', 'https://cve.mitre.org/'),
            ('intruder', 'external'), ('team_id', ''),
            ('variable_name', 'product'), ('variable_type', 'text'), ('variable_value', 'nginx'),
            ('variable_name', 'version'), ('variable_type', 'text'), ('variable_value', '1.0'),
            ('variable_name', 'host'), ('variable_type', 'text'), ('variable_value', ''),
            ('additional_field_name', 'owasp'), ('additional_field_type', 'text'),
            ('additional_field_value', 'A06')]
r = ui(F, 'new_issue_template', 'POST', '/new_issue_template', data=TPL_FORM)
assert r.status_code == 302, (r.status_code, r.text[:300])
ui(F, 'new_issue_template_bad_type', 'POST', '/new_issue_template',
   data=[('csrf_token', CSRF), ('template_name', 'x'), ('issue_type', 'custom')])
r = ui(F, 'issues_page_template_menu', 'GET', P('/issues/'),
       hints=[r'<a target="_blank" rel="noopener noreferrer" class="item" '
              r'href="/project/[^"]+/issue_template/[^"]+/"[^>]*>\s*<div class="ui \w+ empty '
              r'circular label"></div>[^<]*</a>'])
TID = re.search(r'/issue_template/(' + UUID_RE + ')/', r.text).group(1)
ui(F, 'download_issue_templates', 'POST', '/download_issue_templates',
   data=[('csrf_token', CSRF), ('template_id', TID)])
ui(F, 'download_issue_templates_unknown_id', 'POST', '/download_issue_templates',
   data=[('csrf_token', CSRF), ('template_id', NIL)])
ui(F, 'from_template_page', 'GET', P('/issue_template/%s/' % TID))
ui(F, 'from_template_unknown_template', 'POST', P('/issue_template/%s/' % NIL),
   data=[('csrf_token', CSRF)])
ui(F, 'from_template_without_cvss_graph_is_a_400', 'POST', P('/issue_template/%s/' % TID),
   data=[('csrf_token', CSRF), ('variable_name', 'product'), ('variable_type', 'text'),
         ('variable_value', 'Apache')])
alive('template 400')
ui(F, 'from_template_variable_count_mismatch', 'POST', P('/issue_template/%s/' % TID),
   data=[('csrf_token', CSRF), ('variable_name', 'product'), ('variable_name', 'version'),
         ('variable_type', 'text'), ('variable_value', 'Apache'), ('cvss_graph', ''),
         ('impact', ''), ('exploitability', ''), ('risk', '')])
r = ui(F, 'from_template', 'POST', P('/issue_template/%s/' % TID),
       data=[('csrf_token', CSRF), ('variable_name', 'product'), ('variable_type', 'text'),
             ('variable_value', 'Apache httpd'), ('variable_name', 'version'),
             ('variable_type', 'text'), ('variable_value', '2.4.49'),
             ('variable_name', 'host'), ('variable_type', 'text'),
             ('variable_value', 'app.example.com'), ('cvss_graph', ''),
             ('impact', 'Majeur'), ('exploitability', 'Facile'), ('risk', 'Elevé')])
assert r.status_code == 302, r.status_code
alive('from template')
export(F, 'export_after_from_template', keep=('issues',))

# ============================================================ bulk issues, main PoC
F = 'ws_issues_bulk.json'
ids = setup(F, 'WS bulk', [('10.21.0.5', [(80, True, 'http'), (443, True, 'https')], None),
                           ('10.21.0.6', [(80, True, 'http')], None)])
DUP = [('description', 'Missing header.'), ('cvss', '4.3'), ('status', 'Need to check')]
I1 = new_issue(F, 'Missing HSTS', DUP + [('ip_port-0', ids['10.21.0.5:443'])], 'new_issue_dup_a')
I2 = new_issue(F, 'Missing HSTS', DUP + [('ip_port-0', ids['10.21.0.6:80'])], 'new_issue_dup_b')
I3 = new_issue(F, 'Missing HSTS', [('description', 'Other text.'), ('cvss', '4.3')],
               'new_issue_near_dup')
I4 = new_issue(F, 'Directory listing', [('cvss', '5.3'), ('status', 'Confirmed')])
r = ui(F, 'multiple_edit_cvss_only_resets_status', 'POST', P('/issues/multiple_edit'),
       data=[('csrf_token', CSRF), ('issue-0', I4), ('criticality', '6.5')])
export(F, 'export_after_cvss_only_edit', keep=('issues',))
ui(F, 'multiple_edit_status_keep_cvss', 'POST', P('/issues/multiple_edit'),
   data=[('csrf_token', CSRF), ('issue-0', I4), ('issue-1', I3), ('criticality', '-1'),
         ('status', 'Confirmed')])
ui(F, 'multiple_edit_bad_cvss_is_silently_ok', 'POST', P('/issues/multiple_edit'),
   data=[('csrf_token', CSRF), ('issue-0', I4), ('criticality', '11'), ('status', '-1')])
ui(F, 'multiple_edit_foreign_id_is_silently_ok', 'POST', P('/issues/multiple_edit'),
   data=[('csrf_token', CSRF), ('issue-0', NIL), ('criticality', '1'), ('status', '-1')])
export(F, 'export_after_multiple_edit', keep=('issues',))
alive('multiple edit')
# main PoC
POC_A = api(F, 'poc_add_a', '/api/v1/project/%s/issues/%s/poc/add' % (W.pid, I4),
            {'access_token': T, 'type': 'text', 'b64content': B64('GET / -> index of /'),
             'description': 'first'}).json()['poc_id']
POC_B = api(F, 'poc_add_b', '/api/v1/project/%s/issues/%s/poc/add' % (W.pid, I4),
            {'access_token': T, 'type': 'text', 'b64content': B64('GET /backup/'),
             'description': 'second'}).json()['poc_id']
ui(F, 'set_priority_second_main', 'POST', P('/issue/%s/set_priority' % I4),
   data=[('csrf_token', CSRF), ('poc_id', POC_B), ('priority', '1')])
api(F, 'issue_info_two_main_pocs', '/api/v1/project/%s/issues/%s/info' % (W.pid, I4),
    {'access_token': T})
ui(F, 'set_priority_first_off', 'POST', P('/issue/%s/set_priority' % I4),
   data=[('csrf_token', CSRF), ('poc_id', POC_A), ('priority', '0')])
ui(F, 'set_priority_unknown_poc_is_ok', 'POST', P('/issue/%s/set_priority' % I4),
   data=[('csrf_token', CSRF), ('poc_id', NIL), ('priority', '1')])
api(F, 'issue_info_after_priority', '/api/v1/project/%s/issues/%s/info' % (W.pid, I4),
    {'access_token': T})
# join duplicates: PCF keeps the duplicate with the smallest id (SQLite walks
# the IN list in order); a PoC on the other one shows what happens to it.
LOSER = max(I1, I2)
POC_D = api(F, 'poc_add_on_duplicate', '/api/v1/project/%s/issues/%s/poc/add' % (W.pid, LOSER),
            {'access_token': T, 'type': 'text', 'b64content': B64('curl -I http://10.21.0.6/'),
             'description': 'dup evidence'}).json()['poc_id']
ui(F, 'join_issues', 'POST', P('/issues/join_issues'),
   data=[('csrf_token', CSRF), ('issue-0', I1), ('issue-1', I2), ('issue-2', I3),
         ('issue-3', I4)])
alive('join')
export(F, 'export_after_join', keep=('issues', 'pocs'))
ui(F, 'join_issues_bad_id_is_silently_ok', 'POST', P('/issues/join_issues'),
   data=[('csrf_token', CSRF), ('issue-0', 'nope')])
ui(F, 'multiple_delete', 'POST', P('/issues/multiple_delete'),
   data=[('csrf_token', CSRF), ('issue-0', I3), ('issue-1', NIL)])
export(F, 'export_after_multiple_delete', keep=('issues',))
alive('bulk')

# ============================================================ share link
F = 'ws_share.json'
ids = setup(F, 'WS share', [])
IS = new_issue(F, 'Shared finding', [('description', 'Visible without login.'), ('cvss', '6.1')])
anon = requests.get(BASE + '/share/issue/%s/' % IS, allow_redirects=False, timeout=15)
record(F, 'share_page_without_session', 'GET', '/share/issue/%s/' % IS, {}, None, anon,
       hints=[r'Visible without login\.'])
anon = requests.get(BASE + '/share/issue/%s/' % NIL, allow_redirects=False, timeout=15)
record(F, 'share_page_unknown_issue', 'GET', '/share/issue/%s/' % NIL, {}, None, anon)

# ============================================================ tasks
F = 'ws_tasks.json'
ids = setup(F, 'WS tasks', [('10.22.0.5', [(22, True, 'ssh')], 'jump.example.com')])
P22 = ids['10.22.0.5:22']
HN = ids['jump.example.com']
now = int(time.time())
TASK = [('csrf_token', CSRF), ('name', 'Brute-force SSH'), ('description', 'hydra, top 100'),
        ('criticality', 'high'), ('status', 'todo'), ('start_date', str(now)),
        ('end_date', str(now + 86400)), ('teams', '[]'), ('users', json.dumps([ME])),
        ('hosts', json.dumps(['%s:0' % P22, '%s:%s' % (P22, HN)]))]
ui(F, 'new_task', 'POST', P('/new_task'), data=TASK)
ui(F, 'new_task_missing_name', 'POST', P('/new_task'),
   data=[('csrf_token', CSRF), ('criticality', 'info')])
ui(F, 'new_task_bad_criticality', 'POST', P('/new_task'),
   data=[('csrf_token', CSRF), ('name', 'x'), ('criticality', 'urgent')])
ui(F, 'new_task_unknown_user', 'POST', P('/new_task'),
   data=[('csrf_token', CSRF), ('name', 'x'), ('criticality', 'low'),
         ('users', json.dumps([NIL]))])
ui(F, 'new_task_unknown_port', 'POST', P('/new_task'),
   data=[('csrf_token', CSRF), ('name', 'x'), ('criticality', 'low'),
         ('hosts', json.dumps(['%s:0' % NIL]))])
ui(F, 'new_task_without_csrf', 'POST', P('/new_task'), data=[('name', 'x')])
alive('tasks')
doc = export(F, 'export_tasks_after_create', keep=('tasks',))
TID = next(iter(doc['tasks']))
ui(F, 'move_task', 'POST', P('/move_task'),
   data=[('csrf_token', CSRF), ('task_id', TID), ('status', 'progress')])
ui(F, 'move_task_bad_status', 'POST', P('/move_task'),
   data=[('csrf_token', CSRF), ('task_id', TID), ('status', 'blocked')])
ui(F, 'move_task_unknown', 'POST', P('/move_task'),
   data=[('csrf_token', CSRF), ('task_id', NIL), ('status', 'done')])
ui(F, 'edit_task', 'POST', P('/edit_task'),
   data=[('csrf_token', CSRF), ('task_id', TID), ('name', 'Brute-force SSH (done)'),
         ('description', 'no weak password'), ('criticality', 'medium'), ('status', 'review'),
         ('start_date', str(now)), ('end_date', str(now + 2 * 86400)), ('teams', '[]'),
         ('users', '[]'), ('hosts', json.dumps(['%s:0' % P22]))])
ui(F, 'edit_task_partial_form_resets_fields', 'POST', P('/edit_task'),
   data=[('csrf_token', CSRF), ('task_id', TID), ('name', 'Renamed only'),
         ('criticality', 'medium')])
ui(F, 'edit_task_unknown', 'POST', P('/edit_task'),
   data=[('csrf_token', CSRF), ('task_id', NIL), ('name', 'x'), ('criticality', 'low')])
export(F, 'export_tasks_after_edit', keep=('tasks',))
ui(F, 'delete_task', 'POST', P('/delete_task'), data=[('csrf_token', CSRF), ('task_id', TID)])
ui(F, 'delete_task_unknown', 'POST', P('/delete_task'),
   data=[('csrf_token', CSRF), ('task_id', NIL)])
export(F, 'export_tasks_after_delete', keep=('tasks',))
alive('tasks done')

# ============================================================ files
F = 'ws_files.json'
ids = setup(F, 'WS files', [('10.23.0.5', [(80, True, 'http')], 'files.example.com')])
REF = {'Referer': BASE + P('/files/')}
ui(F, 'files_new_text', 'POST', P('/files/new'),
   data=[('csrf_token', CSRF), ('description', 'nikto output'), ('filetype', 'text'),
         ('services', '%s:0' % ids['10.23.0.5:80'])],
   files=[('file', ('nikto.txt', b'+ Server: Apache/2.4.49\n+ /admin/: <found> & "open"\n',
                    'text/plain'))], headers=REF)
ui(F, 'files_new_binary', 'POST', P('/files/new'),
   data=[('csrf_token', CSRF), ('description', 'capture'), ('filetype', 'binary')],
   files=[('file', ('dump.bin', bytes(range(256)), 'application/octet-stream'))], headers=REF)
ui(F, 'files_new_without_file', 'POST', P('/files/new'),
   data=[('csrf_token', CSRF), ('description', 'x'), ('filetype', 'text')], headers=REF)
ui(F, 'files_new_bad_filetype', 'POST', P('/files/new'),
   data=[('csrf_token', CSRF), ('filetype', 'pdf')],
   files=[('file', ('a.pdf', b'%PDF-1.4', 'application/pdf'))], headers=REF)
ui(F, 'files_new_unknown_port', 'POST', P('/files/new'),
   data=[('csrf_token', CSRF), ('filetype', 'text'), ('services', '%s:0' % NIL)],
   files=[('file', ('x.txt', b'x', 'text/plain'))], headers=REF)
alive('files unknown port')
ui(F, 'files_new_without_referer', 'POST', P('/files/new'),
   data=[('csrf_token', CSRF), ('filetype', 'text')],
   files=[('file', ('noref.txt', b'no referer', 'text/plain'))])
alive('files without referer')
r = ui(F, 'files_page', 'GET', P('/files/'),
       hints=[r'<h1 class="ui dividing header">Project files: \d+</h1>',
              r'<tr>\s*<td>[^<]*</td>\s*<td>[^<]*</td>\s*<td>\s*<ul class="ui list">.*?</ul>\s*'
              r'</td>\s*<td style="float:left;">\s*<form action="[^"]*"\s*method="post"[^>]*>\s*'
              r'<a class="ui button \w+"\s*href="[^"]*">'])
rows = re.findall(r'<td>([^<]*)</td>\s*<td>[^<]*</td>.*?/files/(' + UUID_RE + r')/"\s+method',
                  r.text, re.S)
byname = {n: i for n, i in rows}
TXT, BIN, NOREF = byname['nikto.txt'], byname['dump.bin'], byname.get('noref.txt')
ui(F, 'file_view_text', 'GET', P('/files/%s/' % TXT),
   hints=[r'<h1 class="ui dividing header">[^<]*</h1>',
          ('raw', r'<code style="height: 465px">.*?</code>')])
ui(F, 'file_download_text', 'GET', P('/files/%s/download' % TXT))
ui(F, 'file_download_binary', 'GET', P('/files/%s/download' % BIN))
ui(F, 'file_download_unknown', 'GET', P('/files/%s/download' % NIL))
alive('downloads')
ui(F, 'file_delete', 'POST', P('/files/%s/' % BIN), data=[('csrf_token', CSRF),
                                                        ('action', 'delete')], headers=REF)
ui(F, 'file_delete_without_referer', 'POST', P('/files/%s/' % TXT),
   data=[('csrf_token', CSRF), ('action', 'delete')])
alive('file delete')
ui(F, 'files_page_after_delete', 'GET', P('/files/'),
   hints=[r'<h1 class="ui dividing header">Project files: \d+</h1>'])

# ============================================================ chats
F = 'ws_chats.json'
ids = setup(F, 'WS chats', [])
ui(F, 'chat_add', 'POST', P('/chats/add'), data=[('csrf_token', CSRF), ('name', 'day-1')])
ui(F, 'chat_add_empty_name', 'POST', P('/chats/add'), data=[('csrf_token', CSRF), ('name', '')])
r = ui(F, 'chats_page', 'GET', P('/chats/'),
       hints=[r'<a class="item" data-tab="chat_[^"]+">\s*[^<]*<i class="comment icon"></i>'])
CID = re.search(r'data-tab="chat_(' + UUID_RE + ')"', r.text).group(1)
ui(F, 'send_message', 'POST', P('/chats/%s/sendmessage' % CID),
   data=[('csrf_token', CSRF), ('message', 'Found <b>admin</b> panel on 10.0.0.5')])
ui(F, 'send_message_empty', 'POST', P('/chats/%s/sendmessage' % CID),
   data=[('csrf_token', CSRF), ('message', '')])
ui(F, 'send_message_unknown_chat', 'POST', P('/chats/%s/sendmessage' % NIL),
   data=[('csrf_token', CSRF), ('message', 'x')])
ui(F, 'getall', 'GET', P('/chats/%s/getall.json' % CID))
ui(F, 'getall_unknown_chat', 'GET', P('/chats/%s/getall.json' % NIL))
ui(F, 'getnewmessages_since_0', 'GET', P('/chats/%s/getnewmessages/0/' % CID))
ui(F, 'chat_rename', 'POST', P('/chats/%s/edit' % CID),
   data=[('csrf_token', CSRF), ('name', 'day-one'), ('action', 'rename')])
ui(F, 'chat_delete', 'POST', P('/chats/%s/edit' % CID),
   data=[('csrf_token', CSRF), ('name', 'day-one'), ('action', 'delete'),
         ('del_messages', '1')])
alive('chats')

# ============================================================ credentials import / export
F = 'ws_credentials_io.json'
ids = setup(F, 'WS creds', [])
CREDS = 'alice;5f4dcc3b5aa765d61d8327deb882cf99;password\nbob;e10adc3949ba59abbe56e057f20f883e;'
ui(F, 'import_creds', 'POST', P('/credentials/import_creds'),
   data=[('csrf_token', CSRF), ('content', CREDS), ('delimiter', ';'), ('login_num', '1'),
         ('hash_num', '2'), ('cleartext_num', '3'), ('hash_type', 'md5_hex'),
         ('comment', 'from dump'), ('info_source', 'db.sql'), ('do_not_check_dublicates', '0')])
ui(F, 'import_creds_do_not_check_columns_is_ignored', 'POST', P('/credentials/import_creds'),
   data=[('csrf_token', CSRF), ('content', CREDS + '\ncarol'), ('delimiter', ';'),
         ('login_num', '1'), ('hash_num', '2'), ('cleartext_num', '3'),
         ('do_not_check_columns', '1')])
ui(F, 'import_creds_no_columns', 'POST', P('/credentials/import_creds'),
   data=[('csrf_token', CSRF), ('content', 'x'), ('delimiter', ';')])
ui(F, 'import_creds_same_columns', 'POST', P('/credentials/import_creds'),
   data=[('csrf_token', CSRF), ('content', 'x;y'), ('login_num', '1'), ('hash_num', '1')])
ui(F, 'import_creds_no_content', 'POST', P('/credentials/import_creds'),
   data=[('csrf_token', CSRF), ('login_num', '1')])
ui(F, 'import_creds_again_skips_duplicates', 'POST', P('/credentials/import_creds'),
   data=[('csrf_token', CSRF), ('content', CREDS), ('delimiter', ';'), ('login_num', '1'),
         ('hash_num', '2'), ('cleartext_num', '3'), ('hash_type', 'md5_hex'),
         ('comment', 'from dump'), ('info_source', 'db.sql'), ('do_not_check_dublicates', '0')])
ui(F, 'import_creds_source_column_overwrites_login', 'POST', P('/credentials/import_creds'),
   data=[('csrf_token', CSRF), ('content', 'dave;smb share'), ('delimiter', ';'),
         ('login_num', '1'), ('source_num', '2')])
alive('creds import')
export(F, 'export_credentials_after_import', keep=('credentials',))
for et in ('usernames', 'passwords', 'user_pass', 'user_pass_variations'):
    ui(F, 'credentials_export_' + et, 'POST', P('/credentials/export'),
       data=[('csrf_token', CSRF), ('export_type', et), ('divider', ':'),
             ('show_in_browser', '1')])
ui(F, 'credentials_export_empty_and_login_as_password', 'POST', P('/credentials/export'),
   data=[('csrf_token', CSRF), ('export_type', 'user_pass'), ('divider', ' '),
         ('empty_passwords', '1'), ('login_as_password', '1'), ('show_in_browser', '1')])
ui(F, 'credentials_export_bad_type', 'POST', P('/credentials/export'),
   data=[('csrf_token', CSRF), ('export_type', 'hashes'), ('show_in_browser', '1')])

# ============================================================ hosts import
F = 'ws_hosts_import.json'
ids = setup(F, 'WS hosts import', [('10.24.0.5', [(80, True, 'http')], None)])
api(F, 'host_edit_before_import', '/api/v1/project/%s/host/%s/edit' % (W.pid, ids['10.24.0.5']),
    {'access_token': T, 'description': 'keep me', 'os': 'Windows Server 2019'})
LIST = '10.24.0.6;web.example.com;front web;Linux\n10.24.0.7;;db;\nnot-an-ip;x.example.com;;\n10.24.0.5;dc.example.com;;'
ui(F, 'import_hosts', 'POST', P('/hosts/import_hosts'),
   data=[('csrf_token', CSRF), ('content', LIST), ('delimiter', ';'), ('host_num', '1'),
         ('hostname_num', '2'), ('description_num', '3'), ('os_num', '4'),
         ('threats', 'check'), ('do_not_check_columns', '0')])
alive('hosts import')
api(F, 'hosts_after_import', '/api/v1/project/%s/hosts' % W.pid, {'access_token': T})
api(F, 'existing_host_after_import', '/api/v1/project/%s/host/%s/info' % (W.pid, ids['10.24.0.5']),
    {'access_token': T})
api(F, 'hostnames_after_import', '/api/v1/project/%s/hostnames' % W.pid, {'access_token': T})
ui(F, 'import_hosts_no_columns', 'POST', P('/hosts/import_hosts'),
   data=[('csrf_token', CSRF), ('content', '10.24.0.9'), ('delimiter', ';')])
ui(F, 'import_hosts_short_rows', 'POST', P('/hosts/import_hosts'),
   data=[('csrf_token', CSRF), ('content', '10.24.0.9\n10.24.0.10;a.example.com'),
         ('delimiter', ';'), ('host_num', '1'), ('hostname_num', '2')])
ui(F, 'import_hosts_bad_threat', 'POST', P('/hosts/import_hosts'),
   data=[('csrf_token', CSRF), ('content', '10.24.0.9'), ('host_num', '1'),
         ('threats', 'pwned')])

# ============================================================ services
F = 'ws_services.json'
ids = setup(F, 'WS services', [('10.25.0.5', [(80, True, 'http')], None),
                               ('10.25.0.6', [], None)])
H5, H6 = ids['10.25.0.5'], ids['10.25.0.6']
ui(F, 'new_service', 'POST', P('/services/new_service'),
   data=[('csrf_token', CSRF), ('port', '8443'), ('service', 'https-alt'),
         ('description', 'Tomcat'), ('host-0', H5), ('host-1', H6)])
ui(F, 'new_service_udp', 'POST', P('/services/new_service'),
   data=[('csrf_token', CSRF), ('port', '161/udp'), ('service', 'snmp'), ('host-0', H6)])
ui(F, 'new_service_existing_port_twice', 'POST', P('/services/new_service'),
   data=[('csrf_token', CSRF), ('port', '80'), ('service', 'http'), ('host-0', H5)])
ui(F, 'new_service_no_hosts', 'POST', P('/services/new_service'),
   data=[('csrf_token', CSRF), ('port', '22')])
ui(F, 'new_service_bad_port', 'POST', P('/services/new_service'),
   data=[('csrf_token', CSRF), ('port', '70000'), ('host-0', H5)])
alive('services')
api(F, 'host_after_new_service', '/api/v1/project/%s/host/%s/info' % (W.pid, H5),
    {'access_token': T})
ui(F, 'services_edit', 'POST', P('/services/edit?port=8443&is_tcp=1&service=https-alt&info=Tomcat'),
   data=[('csrf_token', CSRF), ('port', '8443'), ('service', 'https'),
         ('description', 'Apache Tomcat 9'), ('old_port', '8443'),
         ('old_service', 'https-alt'), ('old_description', 'Tomcat'), ('host-0', H5)])
ui(F, 'services_edit_unknown_service', 'POST',
   P('/services/edit?port=9999&is_tcp=1&service=x&info='),
   data=[('csrf_token', CSRF), ('port', '9999'), ('old_port', '9999'), ('host-0', H5)])
alive('services edit')
api(F, 'host5_after_edit', '/api/v1/project/%s/host/%s/info' % (W.pid, H5), {'access_token': T})
api(F, 'host6_after_edit', '/api/v1/project/%s/host/%s/info' % (W.pid, H6), {'access_token': T})

# ============================================================ network paths
F = 'ws_network_paths.json'
ids = setup(F, 'WS paths', [('10.26.0.5', [(22, True, 'ssh')], None)])
NET = api(F, 'setup_network', '/api/v1/project/%s/network/create' % W.pid,
          {'access_token': T, 'ip': '192.168.50.0', 'mask': 24, 'name': '1',
           'access_from': {ids['10.26.0.5:22']: ['0']}}).json()['network_id']
H = ids['10.26.0.5']
ui(F, 'add_path', 'POST', P('/networks/add_path'),
   data=[('csrf_token', CSRF), ('out_id', H), ('type_out', 'host'), ('in_id', NET),
         ('type_in', 'network'), ('description', 'pivot via jump host'),
         ('type', 'attack'), ('direction', 'forward')])
ui(F, 'add_path_again_updates', 'POST', P('/networks/add_path'),
   data=[('csrf_token', CSRF), ('out_id', H), ('type_out', 'host'), ('in_id', NET),
         ('type_in', 'network'), ('description', 'SSH tunnel'), ('type', 'connection'),
         ('direction', 'two_side')])
ui(F, 'add_path_same_ends', 'POST', P('/networks/add_path'),
   data=[('csrf_token', CSRF), ('out_id', NET), ('type_out', 'network'), ('in_id', NET),
         ('type_in', 'network')])
ui(F, 'add_path_unknown_host', 'POST', P('/networks/add_path'),
   data=[('csrf_token', CSRF), ('out_id', NIL), ('type_out', 'host'), ('in_id', NET),
         ('type_in', 'network')])
ui(F, 'add_path_bad_direction', 'POST', P('/networks/add_path'),
   data=[('csrf_token', CSRF), ('out_id', H), ('type_out', 'host'), ('in_id', NET),
         ('type_in', 'network'), ('direction', 'up')])
alive('paths')
doc = export(F, 'export_paths', keep=('paths',))
PATH = next(iter(doc['paths']))
ui(F, 'delete_path', 'POST', P('/networks/delete_path'),
   data=[('csrf_token', CSRF), ('path_id', PATH)])
ui(F, 'delete_path_unknown', 'POST', P('/networks/delete_path'),
   data=[('csrf_token', CSRF), ('path_id', NIL)])
export(F, 'export_paths_after_delete', keep=('paths',))
alive('paths done')

# ============================================================ team members (web UI)
F = 'ws_team_admin.json'
r = ui(F, 'create_team', 'POST', '/create_team',
       data=[('csrf_token', CSRF), ('name', 'WS team'), ('description', 'kick test')])
assert r.status_code == 302, r.status_code
TEAM = re.search(UUID_RE, r.headers['Location']).group(0)
U2 = ENV['PCF_USER_ID2']
api(F, 'team_user_add', '/api/v1/team/%s/users/add' % TEAM,
    {'access_token': T, 'email': ENV['PCF_EMAIL2']})
# API v1 users/delete answers 500 here (team_TEAM_ID_users_delete.json has it).
ui(F, 'kick', 'POST', '/team/%s/user/%s/kick' % (TEAM, U2), data=[('csrf_token', CSRF)])
api(F, 'team_users_after_kick', '/api/v1/team/%s/users' % TEAM, {'access_token': T})
ui(F, 'kick_not_member', 'POST', '/team/%s/user/%s/kick' % (TEAM, U2), data=[('csrf_token', CSRF)])
ui(F, 'kick_creator', 'POST', '/team/%s/user/%s/kick' % (TEAM, ME), data=[('csrf_token', CSRF)])
ui(F, 'kick_unknown_team', 'POST', '/team/%s/user/%s/kick' % (NIL, U2), data=[('csrf_token', CSRF)])
alive('team admin')

# The two users carry the ids the other fixtures use for them, so a replay
# maps them to the fake's users like every other fixture's.
USER_IDS = {ENV['PCF_USER_ID']: '4d0a3217-8c5d-416a-914b-0a7ab761391c',
            ENV['PCF_USER_ID2']: 'bac64112-6688-442a-bb70-81e49cf50b52'}
os.makedirs(OUT, exist_ok=True)
for f, cases in FIX.items():
    p = os.path.join(OUT, f)
    text = json.dumps(cases, indent=2, ensure_ascii=False) + '\n'
    for real, canonical in USER_IDS.items():
        text = text.replace(real, canonical)
    with open(p, 'w') as fh:
        fh.write(text)
    print('wrote', p, len(cases), 'cases')
