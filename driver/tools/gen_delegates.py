#!/usr/bin/env python3
"""Prints plain delegating JDBC methods for one java.sql interface.

Used once to write the bulk of the wrapper classes in io.deltaview.driver.jdbc; the output was pasted
into those files and is maintained by hand since. For PreparedStatement/CallableStatement the setters
were then turned into bind(...)/bindOut(...)/bindNamed(...) calls (recorded for replay), Statement's
setters into configure(...), and DatabaseMetaData's ResultSet results into wrap(...). Method set and types come from `javap` on the running
JDK (so every JDBC 4.3 method of Java 17 is covered); parameter names come from the debug info of
pgjdbc's implementation classes, falling back to names derived from the type.

usage: gen_delegates.py <pgjdbc.jar> <java.sql.Interface> <delegate-expr> [skip-name ...]
"""
import re, subprocess, sys, tempfile, zipfile, os

IMPLS = {
    'java.sql.Connection': ['PgConnection'],
    'java.sql.Statement': ['PgStatement'],
    'java.sql.PreparedStatement': ['PgPreparedStatement', 'PgStatement'],
    'java.sql.CallableStatement': ['PgCallableStatement', 'PgPreparedStatement'],
    'java.sql.DatabaseMetaData': ['PgDatabaseMetaData'],
    'java.sql.ResultSet': ['PgResultSet'],
}
HEADER = re.compile(r'^\s+(public|protected|private)?\s*(abstract |default |static |final |synchronized |native )*(<[^>]+> )?(.+?) (\w+)\((.*)\)( throws .*)?;$')


def split_params(s):
    out, depth, cur = [], 0, ''
    for ch in s:
        if ch == '<':
            depth += 1
        elif ch == '>':
            depth -= 1
        if ch == ',' and depth == 0:
            out.append(cur.strip()); cur = ''
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def erase(t):
    return re.sub(r'<.*>', '', t)


def simple(t):
    return re.sub(r'\b(java\.lang|java\.sql|java\.util\.concurrent|java\.util|java\.io|java\.math|java\.net)\.', '', t)


def impl_names(jar, classes):
    names = {}
    d = tempfile.mkdtemp()
    with zipfile.ZipFile(jar) as z:
        for c in classes:
            z.extract('org/postgresql/jdbc/%s.class' % c, d)
    for c in classes:
        out = subprocess.run(['javap', '-l', '-p', os.path.join(d, 'org/postgresql/jdbc/%s.class' % c)],
                             capture_output=True, text=True).stdout.splitlines()
        key, lvt = None, []
        for line in out + ['']:
            m = HEADER.match(line)
            if m or line.strip() == '':
                if key and key not in names and lvt:
                    names[key] = [n for s, n in sorted(lvt) if s > 0]
                if m:
                    key = (m.group(5), tuple(erase(p) for p in split_params(m.group(6))))
                    lvt = []
                continue
            f = line.split()
            if key and len(f) == 5 and f[0] == '0' and f[2].isdigit():
                lvt.append((int(f[2]), f[3]))
    return names


def fallback(t, i):
    base = simple(erase(t)).replace('[]', 's').replace('...', 's')
    return base[0].lower() + base[1:] + (str(i) if i else '')


def main():
    jar, iface, delegate, skip = sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4:])
    names = impl_names(jar, IMPLS[iface])
    out = subprocess.run(['javap', '-p', iface], capture_output=True, text=True).stdout.splitlines()
    for line in out:
        m = HEADER.match(line)
        if not m or 'static' in (m.group(2) or '') or m.group(5) in skip:
            continue
        tparams, ret, name, params = m.group(3) or '', m.group(4), m.group(5), split_params(m.group(6))
        key = (name, tuple(erase(p) for p in params))
        pn = names.get(key)
        if not pn or len(pn) < len(params):
            pn = [fallback(p, i) for i, p in enumerate(params)]
        pn = pn[:len(params)]
        decl = ', '.join('%s %s' % (simple(p), n) for p, n in zip(params, pn))
        call = '%s.%s(%s)' % (delegate, name, ', '.join(pn))
        dep = name in ('getUnicodeStream', 'setUnicodeStream') or (
            name == 'getBigDecimal' and len(params) == 2 and params[1] == 'int')
        print()
        print('  @Override')
        if dep:
            print('  @Deprecated')
        print('  public %s%s %s(%s)%s {' % (tparams, simple(ret), name, decl, simple(m.group(7) or '')))
        print('    %s%s;' % ('' if ret == 'void' else 'return ', call))
        print('  }')


main()
