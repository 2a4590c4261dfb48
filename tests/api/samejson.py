"""Whether two JSON documents are the same data, save for known differences: the aws CLI's output
through the server (A) and ec2-lite's CLI output (C) of one action. KNOWN lines are
"ACTION only_cli|only_aws|differs PATH" (PATH with [] for any index): keys that only one side may
show, or that both show with values that may differ (a time of the request, say).
Prints nothing and exits 0 when they are the same; else prints the differing paths (at most 20) and
exits 1.

Usage: samejson.py A.json C.json ACTION KNOWN
"""
import json
import sys


def load(path):
    with open(path) as f:
        text = f.read()
    return json.loads(text) if text.strip() else {}


def flat(doc, prefix="", out=None):
    """{path: leaf} of doc; a path's indexes are kept ("[3]") and also given as "[]" by pattern()."""
    out = {} if out is None else out
    if isinstance(doc, dict):
        if not doc and prefix:
            out[prefix] = {}
        for k, v in doc.items():
            flat(v, prefix + "." + k if prefix else k, out)
    elif isinstance(doc, list):
        if not doc and prefix:
            out[prefix] = []
        for i, v in enumerate(doc):
            flat(v, "%s[%d]" % (prefix, i), out)
    else:
        out[prefix] = doc
    return out


def pattern(path):
    out, depth = "", 0
    for ch in path:
        if ch == "[":
            depth += 1
            out += "[]"
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out += ch
    return out


def allowed(path, pats):
    p = pattern(path)
    return any(p == q or p.startswith(q + ".") or p.startswith(q + "[") for q in pats)


a_path, c_path, action, known = sys.argv[1:5]
only = {"only_cli": [], "only_aws": [], "differs": []}
for line in known.splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[0] == action and parts[1] in only:
        only[parts[1]].append(parts[2])
a, c = flat(load(a_path)), flat(load(c_path))
bad = []
for path in sorted(set(a) | set(c)):
    if path in a and path in c:
        if a[path] != c[path] and not allowed(path, only["differs"]):
            bad.append("%s: aws %s, ec2-lite %s" % (path, json.dumps(a[path]), json.dumps(c[path])))
    elif path in c and not allowed(path, only["only_cli"]):
        bad.append("%s: only ec2-lite shows %s" % (path, json.dumps(c[path])))
    elif path in a and not allowed(path, only["only_aws"]):
        bad.append("%s: only aws shows %s" % (path, json.dumps(a[path])))
for line in bad[:20]:
    print("  " + line)
sys.exit(1 if bad else 0)
