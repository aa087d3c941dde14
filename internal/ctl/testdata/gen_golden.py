#!/usr/bin/python3
"""Regenerate golden/*.golden by running the real Patroni patronictl.

Usage: gen_golden.py PATRONICTL ETCD_URL [CASE...]
  PATRONICTL  a command running Patroni 4.1.4's patronictl
  ETCD_URL    a scratch etcd (v3 JSON gateway), e.g. http://127.0.0.1:23791

For each case of cases.json it loads the fixture (clusters/<cluster>.json,
the cluster named by the case's second argument) under /service/<cluster>/,
serves the case's canned REST answers on 127.0.0.1:<port>, runs patronictl
with -d etcd3://..., and writes stdout, stderr, the exit code and (for
"dcs" cases) the keys that changed. Timestamps are masked when the case says
"normalize". The Go test renders the same cases with fakes and compares.
"""
import base64, http.server, json, os, re, subprocess, sys, tempfile, threading, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SET = re.compile(r'\[([^\]]*)\]\?')
TS = re.compile(r'\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?(\.\d+)?')


def etcd(url, op, body):
    req = urllib.request.Request(url + '/v3/kv/' + op, json.dumps(body).encode(), {'Content-Type': 'application/json'})
    return json.loads(urllib.request.urlopen(req).read() or b'{}')


def b64(s):
    return base64.b64encode(s.encode()).decode()


def value_text(v):
    return v if isinstance(v, str) else json.dumps(v, separators=(',', ':'))


def fixture_names(args):
    """Clusters a case touches: every argument naming a fixture."""
    names = [a for a in args if os.path.exists(os.path.join(HERE, 'clusters', a + '.json'))]
    return names or ['healthy']


def load_fixture(url, name):
    keys = {}
    if os.path.exists(os.path.join(HERE, 'clusters', name + '.json')):
        with open(os.path.join(HERE, 'clusters', name + '.json')) as f:
            keys = json.load(f)['keys']
    for k, v in keys.items():
        etcd(url, 'put', {'key': b64('/service/%s/%s' % (name, k)), 'value': b64(value_text(v))})
    return {k: value_text(v) for k, v in keys.items()}


def dump_keys(url, name):
    prefix = '/service/%s/' % name
    r = etcd(url, 'range', {'key': b64(prefix), 'range_end': b64(prefix[:-1] + '0')})
    return {base64.b64decode(kv['key']).decode()[len(prefix):]: base64.b64decode(kv.get('value', '')).decode()
            for kv in r.get('kvs', [])}


def canon(v):
    try:
        return json.dumps(json.loads(v), sort_keys=True, separators=(',', ':'))
    except ValueError:
        return v


def dcs_changes(before, after):
    lines = []
    for k in sorted(set(before) | set(after)):
        if k not in after:
            lines.append('deleted %s' % k)
        elif before.get(k) is None or canon(before[k]) != canon(after[k]):
            lines.append('set %s %s' % (k, canon(after[k])))
    return lines


def serve(api):
    servers = []
    by_port = {}
    for port, method, path, status, body in api:
        by_port.setdefault(port, {})[(method, path)] = (status, body)
    for port, answers in by_port.items():
        class H(http.server.BaseHTTPRequestHandler):
            table = answers

            def handle_any(self):
                n = int(self.headers.get('Content-Length') or 0)
                if n:
                    self.rfile.read(n)
                status, body = self.table.get((self.command, self.path), (500, 'no stub'))
                data = body.encode()
                self.send_response(status)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = handle_any

            def log_message(self, *a):
                pass
        srv = http.server.ThreadingHTTPServer(('127.0.0.1', port), H)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
    return servers


KEEP = ('Error:', 'Aborted!', 'Usage:', "Try '")


def render(case, out, err, rc, changes):
    # Python's log lines and tracebacks are not part of the contract.
    err = ''.join(line for line in err.splitlines(True) if line.startswith(KEEP))
    if case.get('normalize'):
        out, err = TS.sub('<TS>', out), TS.sub('<TS>', err)
    if case.get('sortset'):  # a Python set printed in hash order
        out = SET.sub(lambda m: '[' + ', '.join(sorted(m.group(1).split(', '))) + ']?', out)
    text = out
    if err:
        text += '--- stderr\n' + err
    if rc:
        text += '--- exit %d\n' % rc
    if case.get('dcs'):
        text += '--- dcs\n' + ''.join(c + '\n' for c in changes)
    return text


def main():
    ctl, url = sys.argv[1], sys.argv[2]
    only = set(sys.argv[3:])
    with open(os.path.join(HERE, 'cases.json')) as f:
        cases = json.load(f)
    os.makedirs(os.path.join(HERE, 'golden'), exist_ok=True)
    home = tempfile.mkdtemp()
    env = {'PATH': os.environ['PATH'], 'HOME': home, 'TZ': 'UTC', 'LANG': 'C.UTF-8'}
    host = url.split('//', 1)[1]
    for case in cases:
        if only and case['name'] not in only:
            continue
        etcd(url, 'deleterange', {'key': b64('/'), 'range_end': b64('\x00')})
        names = fixture_names(case['args'])
        before = [load_fixture(url, n) for n in names][0]
        name = names[0]
        servers = serve(case.get('api', []))
        try:
            p = subprocess.run([ctl, '-d', 'etcd3://' + host] + case['args'], input=case.get('stdin', '').encode(),
                               capture_output=True, env=env, timeout=60)
        finally:
            for s in servers:
                s.shutdown()
                s.server_close()
        changes = dcs_changes(before, dump_keys(url, name))
        text = render(case, p.stdout.decode(), p.stderr.decode(), p.returncode, changes)
        with open(os.path.join(HERE, 'golden', case['name'] + '.golden'), 'w') as f:
            f.write(text)
        print(case['name'], p.returncode)


if __name__ == '__main__':
    main()
