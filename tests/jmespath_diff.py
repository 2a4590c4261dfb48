#!/usr/bin/python3
"""Differential test of ec2-lite's JMESPath (src/cli/jmespath.c) against Python's jmespath, the
library the aws CLI applies to --query.

Every case (an expression over a document) is answered by tests/jmespath_eval (the C library as a
filter, one process for all cases) and by Python's jmespath. They agree when both give equal JSON
values (numbers compared as numbers, 1 == 1.0, but true is not 1; object members compared in
order, since the aws CLI prints them in that order) or both fail with the same error class.

The cases are ours: tests/data/jmespath-cases.txt (documents and hand-written expressions), and
expressions drawn by a seeded grammar-driven generator over the same documents (--random N,
--seed S), so that every run draws the same ones.

Where the two may rightly differ, KNOWN below names the difference and why. A known difference
applies automatically when its test holds; in the corpus, a case marked "  #known: NAME" must
differ in exactly that way (a marked case that agrees fails, so that no mark outlives its reason).

With --compliance DIR, runs the official compliance suite instead (DIR/*.json or DIR/tests/*.json,
fetched by the user from github.com/jmespath/jmespath.test) through the same program and prints
cases, passed and failed per file (used by scripts/jmespath-compliance.sh).
"""
import argparse
import glob
import json
import os
import random
import subprocess
import sys

import jmespath
import jmespath.exceptions as jx
import jmespath.functions
import jmespath.parser
import jmespath.visitor


def python_answer(expression, given, parser=None, interpreter=None):
    """Python jmespath's answer in jmespath_eval's shape; 'exception' keeps non-JMESPath ones.
    parser and interpreter replace Python's own, to test a known difference."""
    try:
        if parser is None and interpreter is None:
            return {"result": jmespath.search(expression, given)}
        tree = (parser or jmespath.parser.Parser)().parse(expression).parsed
        return {"result": (interpreter or jmespath.visitor.TreeInterpreter)().visit(tree, given)}
    except jx.ArityError as e:  # before ParseError: ArityError derives from it
        return {"error": "invalid-arity", "message": str(e)}
    except (jx.ParseError, jx.EmptyExpressionError) as e:  # LexerError, IncompleteExpressionError
        return {"error": "syntax", "message": str(e)}
    except jx.UnknownFunctionError as e:
        return {"error": "unknown-function", "message": str(e)}
    except jx.JMESPathTypeError as e:
        return {"error": "invalid-type", "message": str(e)}
    except ValueError as e:
        if str(e) == "slice step cannot be zero":
            return {"error": "invalid-value", "message": str(e)}
        return {"exception": type(e).__name__, "message": str(e)}
    except Exception as e:  # noqa: BLE001 - a known difference or a failure, judged by the caller
        return {"exception": type(e).__name__, "message": str(e)}


def same(a, b):
    """JSON equality: numbers as numbers (1 == 1.0) but booleans apart, members in order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def agree(ours, theirs):
    if "result" in ours and "result" in theirs:
        return same(ours["result"], theirs["result"])
    return "error" in ours and ours.get("error") == theirs.get("error")


# Known differences: name -> (reason, test(expression, given, ours, theirs)).
KNOWN = {
    "compile-time-functions": (
        "ec2-lite checks function names and argument counts when the expression is compiled "
        "(refused before the command acts, exit 252); Python jmespath checks them only when the "
        "call is reached while searching, so a call that is never reached (a projection over "
        "nothing, the unevaluated side of || or &&, an earlier type error) gives no such error",
        lambda e, g, o, t: o.get("phase") == "compile"
        and o.get("error") in ("unknown-function", "invalid-arity")
        and t.get("error") != "syntax"),
    "python-typeerror-ordering": (
        "Python jmespath orders a string against a number with Python's < and fails with a "
        "TypeError (a traceback in the aws CLI, not a JMESPath error); ec2-lite follows the "
        "specification: the comparison is null, and max_by/min_by refuse the mixed keys with "
        "invalid-type",
        lambda e, g, o, t: t.get("exception") == "TypeError"
        and "not supported between instances of" in t.get("message", "")
        and ("result" in o or o.get("error") == "invalid-type")),
    "python-typeerror-contains": (
        "Python jmespath's contains() on a string is Python's 'in', which fails with a TypeError "
        "(a traceback in the aws CLI) when the value sought is not a string; ec2-lite answers "
        "false, as the specification's contains does",
        lambda e, g, o, t: t.get("exception") == "TypeError"
        and t.get("message", "").startswith("'in <string>' requires string as left operand")
        and o.get("error") != "syntax"),
    "python-contains-bool-number": (
        "Python jmespath's contains() on an array is Python's 'in', where true equals 1 and "
        "false equals 0; ec2-lite compares with JMESPath's equality, where a boolean is no "
        "number (Python with that contains, SpecContains below, must then agree)",
        lambda e, g, o, t: "contains(" in e
        and agree(o, python_answer(e, g, interpreter=lambda: NullExpref(
            jmespath.visitor.Options(custom_functions=SpecContains()))))),
    "to-number-python-syntax": (
        "to_number in Python jmespath is Python's int() then float(), which also take 'nan', "
        "'inf', 'Infinity', digit groups with '_' and non-ASCII digits; ec2-lite takes JSON "
        "numbers only and answers null, as the specification says for a string that is not a "
        "number",
        lambda e, g, o, t: "to_number" in e and "result" in o and "result" in t),
}


class StrictParser(jmespath.parser.Parser):
    """Python jmespath's parser with the commas the grammar requires between function arguments
    and between the pairs of a multi-select hash (Python's own parser lets them out)."""
    _CACHE = {}

    def _token_led_lparen(self, left):
        if left["type"] == "field":
            start = self._index
            while self._current_token() != "rparen":
                self._expression()
                if self._current_token() == "comma":
                    self._match("comma")
                    if self._current_token() == "rparen":
                        self._raise_parse_error_for_token(self._lookahead_token(0), "strict")
                elif self._current_token() != "rparen":
                    self._raise_parse_error_for_token(self._lookahead_token(0), "strict")
            self._index = start
        return super()._token_led_lparen(left)

    def _parse_multi_select_hash(self):
        start = self._index
        while True:
            self._match_multiple_tokens(token_types=["quoted_identifier", "unquoted_identifier"])
            self._match("colon")
            self._expression(0)
            if self._current_token() == "rbrace":
                break
            self._match("comma")
        self._index = start
        return super()._parse_multi_select_hash()


class SliceProjects(jmespath.parser.Parser):
    """Python jmespath's parser where a slice after an index expression projects, as the
    specification has every slice do."""
    _CACHE = {}

    def _token_led_lbracket(self, left):
        if left["type"] == "index_expression" and self._current_token() in ("number", "colon"):
            return self._project_if_slice(left, self._parse_index_expression())
        return super()._token_led_lbracket(left)


class NullExpref(jmespath.visitor.TreeInterpreter):
    """Python jmespath's interpreter where an expression reference is null except as a
    function's argument."""

    def visit_expref(self, node, value):
        return None

    def visit_function_expression(self, node, value):
        args = [super(NullExpref, self).visit_expref(c, value) if c["type"] == "expref"
                else self.visit(c, value) for c in node["children"]]
        return self._functions.call_function(node["value"], args)


class SpecContains(jmespath.functions.Functions):
    """Python jmespath's functions with contains() by JMESPath's equality (same() above)."""

    @jmespath.functions.signature({"types": ["array", "string"]}, {"types": []})
    def _func_contains(self, subject, search):
        if isinstance(subject, str):
            return isinstance(search, str) and search in subject
        return any(same(x, search) for x in subject)


def strict_syntax_error(expression):
    try:
        StrictParser().parse(expression)
    except jx.ParseError:
        return True
    return False


def holds(value, test):
    if isinstance(value, list):
        return any(holds(v, test) for v in value)
    if isinstance(value, dict):
        return any(holds(k, test) or holds(v, test) for k, v in value.items())
    return test(value)


def lone_surrogate(value):
    try:
        value.encode("utf-8")
        return False
    except (AttributeError, UnicodeEncodeError):
        return isinstance(value, str)


KNOWN.update({
    "python-lenient-commas": (
        "Python jmespath lets out the comma between function arguments (length(@ @), "
        "length(@,)) and between the pairs of a multi-select hash ({a: b c: d}); the grammar "
        "requires it and ec2-lite refuses such an expression as a syntax error (a parser that "
        "requires the commas, StrictParser below, must refuse it too)",
        lambda e, g, o, t: o.get("error") == "syntax" and t.get("error") != "syntax"
        and strict_syntax_error(e)),
    "python-expref-value": (
        "an expression reference that is not a function's argument (&foo alone, !&foo) is, in "
        "Python jmespath, an internal object that is not JSON (the aws CLI cannot print it) and "
        "is true; in ec2-lite it is null (Python with such a reference null, NullExpref below, "
        "must then agree)",
        lambda e, g, o, t: "&" in e
        and agree(o, python_answer(e, g, interpreter=NullExpref))),
    "python-expref-argument": (
        "Python jmespath hands an expression reference to a function whose parameter takes any "
        "type (type, to_array, to_string, not_null) as its internal object: type() says null, "
        "to_array() wraps it, to_string() fails with a TypeError; ec2-lite refuses it "
        "(invalid-type, received \"expref\"), as the specification types an expression "
        "reference apart from every JSON type",
        lambda e, g, o, t: o.get("error") == "invalid-type"
        and 'received: "expref"' in o.get("message", "")),
    "python-slice-after-index": (
        "Python jmespath 1.0.1 appends a slice that follows an index expression to it "
        "(a[0][1:], (x)[:]), so that slice is no projection, against the specification; "
        "ec2-lite projects every slice (Python with every slice projected, SliceProjects "
        "below, must then agree)",
        lambda e, g, o, t: ":" in e
        and agree(o, python_answer(e, g, parser=SliceProjects, interpreter=NullExpref))),
    "python-variadic-unchecked": (
        "Python jmespath checks only the first argument of merge() against its type, so a later "
        "one that is not an object fails with a Python TypeError or ValueError (a traceback in "
        "the aws CLI) or, an empty string or array, merges as nothing; ec2-lite checks every "
        "argument (invalid-type)",
        lambda e, g, o, t: (t.get("exception") in ("TypeError", "ValueError") or "result" in t)
        and o.get("error") == "invalid-type" and "merge(" in e),
    "lone-surrogate": (
        "json-c holds strings as UTF-8, which cannot hold a lone surrogate (\\ud800 in a "
        "literal or quoted identifier): it becomes U+FFFD; Python keeps it (and the aws CLI "
        "cannot print it)",
        lambda e, g, o, t: "result" in t and holds(t["result"], lone_surrogate)),
})


def known_difference(expression, given, ours, theirs):
    for name, (_, test) in KNOWN.items():
        if test(expression, given, ours, theirs):
            return name
    return None


def run_eval(program, cases):
    """Answers of jmespath_eval for [(expression, given)], in order."""
    text = "".join(json.dumps({"expression": e, "given": g}) + "\n" for e, g in cases)
    proc = subprocess.run([program], input=text.encode(), stdout=subprocess.PIPE, check=True)
    answers = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    if len(answers) != len(cases):
        sys.exit(f"jmespath_eval answered {len(answers)} lines for {len(cases)} cases")
    for a in answers:
        if "bad-input" in a:
            sys.exit(f"jmespath_eval could not read: {a['bad-input']}")
    return answers


# ---- the corpus ----

def read_corpus(path):
    """Documents {name: value} and cases [(doc, expression, known or None, line)].

    '=== doc NAME' starts a document (JSON lines up to the next '==='); '=== cases NAME' starts
    expressions over it, one a line. A line 'json: "..."' is a JSON string (for escapes and
    control characters); '  #known: NAME' at the end marks a known difference; '#' at the start
    of a line is a comment; blank lines are skipped."""
    docs, cases, section, name, buf = {}, [], None, None, []

    def end_doc():
        if section == "doc":
            docs[name] = json.loads("\n".join(buf))

    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.startswith("=== "):
                end_doc()
                section, name = line[4:].split(None, 1)
                buf = []
                if section == "cases" and name not in docs:
                    sys.exit(f"{path}:{number}: no document {name}")
            elif section == "doc":
                buf.append(line)
            elif line.strip() == "" or line.startswith("#"):
                continue
            elif section == "cases":
                known = None
                if "  #known: " in line:
                    line, known = line.split("  #known: ")
                    if known not in KNOWN:
                        sys.exit(f"{path}:{number}: no known difference {known}")
                if line.startswith("json: "):
                    line = json.loads(line[6:])
                cases.append((name, line, known, number))
        end_doc()
    return docs, cases


# ---- the random expressions ----

FUNCTIONS = {  # name: (arity, whether the last argument may repeat, expref argument index)
    "abs": (1, False, None), "avg": (1, False, None), "ceil": (1, False, None),
    "contains": (2, False, None), "ends_with": (2, False, None), "floor": (1, False, None),
    "join": (2, False, None), "keys": (1, False, None), "length": (1, False, None),
    "map": (2, False, 0), "max": (1, False, None), "max_by": (2, False, 1),
    "merge": (1, True, None), "min": (1, False, None), "min_by": (2, False, 1),
    "not_null": (1, True, None), "reverse": (1, False, None), "sort": (1, False, None),
    "sort_by": (2, False, 1), "starts_with": (2, False, None), "sum": (1, False, None),
    "to_array": (1, False, None), "to_string": (1, False, None), "to_number": (1, False, None),
    "type": (1, False, None), "values": (1, False, None),
}
COMPARATORS = ["==", "!=", "<", "<=", ">", ">="]
LITERALS = ["`1`", "`-2.5`", "`0`", "`\"a\"`", "`\"\"`", "`true`", "`false`", "`null`", "`[]`",
            "`{}`", "`[1, \"x\", null]`", "`{\"k\": [1, 2]}`", "'raw'", "''", "'it''s'",
            "`\"running\"`", "`\"t2.micro\"`", "`3`"]
# Characters that break an expression in interesting ways when inserted.
NOISE = list("[]{}().,:|&!*?@`'\"=<>-0 ")


def collect_keys(value, keys):
    if isinstance(value, dict):
        for k, v in value.items():
            keys.add(k)
            collect_keys(v, keys)
    elif isinstance(value, list):
        for v in value:
            collect_keys(v, keys)


class Generator:
    def __init__(self, seed, keys):
        self.rnd = random.Random(seed)
        self.keys = sorted(keys)

    def ident(self):
        k = self.rnd.choice(self.keys) if self.rnd.random() < 0.9 else self.rnd.choice(["x", "foo"])
        if k.isidentifier() and k.isascii() and self.rnd.random() < 0.85:
            return k
        return json.dumps(k, ensure_ascii=self.rnd.random() < 0.5)

    def number(self, lo=-4, hi=4):
        return str(self.rnd.randint(lo, hi))

    def rhs(self, depth):
        """What may follow a dot."""
        r = self.rnd.random()
        if r < 0.6 or depth <= 0:
            return self.ident()
        if r < 0.7:
            return "*"
        if r < 0.8:
            return self.multi_list(depth - 1)
        if r < 0.9:
            return self.multi_hash(depth - 1)
        return self.call(depth - 1)

    def multi_list(self, depth):
        return "[" + ", ".join(self.expr(depth) for _ in range(self.rnd.randint(1, 3))) + "]"

    def multi_hash(self, depth):
        n = self.rnd.randint(1, 3)
        return "{" + ", ".join(f"{self.ident()}: {self.expr(depth)}" for _ in range(n)) + "}"

    def call(self, depth):
        name = self.rnd.choice(list(FUNCTIONS) + ["nope"]) if self.rnd.random() < 0.97 \
            else "no_such_fn"
        arity, variadic, expref = FUNCTIONS.get(name, (1, False, None))
        n = arity
        r = self.rnd.random()
        if r < 0.06:
            n = max(0, arity - 1)
        elif r < 0.12 or (variadic and r < 0.3):
            n = arity + 1
        args = []
        for i in range(n):
            if i == expref and self.rnd.random() < 0.9:
                args.append("&" + self.expr(depth))
            else:
                args.append(self.expr(depth))
        return f"{name}({', '.join(args)})"

    def slice(self):
        parts = [self.number() if self.rnd.random() < 0.6 else "" for _ in range(2)]
        s = ":".join(parts)
        if self.rnd.random() < 0.5:
            step = self.rnd.choice(["1", "2", "3", "-1", "-2", "-3", "", "0"]) \
                if self.rnd.random() < 0.97 else "0"
            s += ":" + step
        return "[" + s + "]"

    def expr(self, depth):
        rnd = self.rnd
        if depth <= 0:
            r = rnd.random()
            if r < 0.65:
                return self.ident()
            if r < 0.75:
                return "@"
            return rnd.choice(LITERALS)
        r = rnd.random()
        sub = lambda: self.expr(depth - 1)  # noqa: E731
        if r < 0.14:
            return sub() + "." + self.rhs(depth - 1)
        if r < 0.22:
            return sub() + "[" + self.number() + "]"
        if r < 0.29:
            return sub() + self.slice()
        if r < 0.37:
            tail = "." + self.rhs(depth - 1) if rnd.random() < 0.6 else ""
            return sub() + rnd.choice(["[*]", ".*", "[]"]) + tail
        if r < 0.47:
            cond = self.expr(depth - 1)
            if rnd.random() < 0.6:
                cond = f"{self.expr(depth - 1)} {rnd.choice(COMPARATORS)} {self.expr(depth - 1)}"
            tail = "." + self.rhs(depth - 1) if rnd.random() < 0.5 else ""
            return f"{sub()}[?{cond}]{tail}"
        if r < 0.53:
            return f"{sub()} {rnd.choice(COMPARATORS)} {sub()}"
        if r < 0.60:
            return f"{sub()} {rnd.choice(['||', '&&'])} {sub()}"
        if r < 0.63:
            return "!" + sub()
        if r < 0.67:
            return "(" + sub() + ")"
        if r < 0.72:
            return self.multi_list(depth - 1)
        if r < 0.77:
            return self.multi_hash(depth - 1)
        if r < 0.82:
            return f"{sub()} | {sub()}"
        if r < 0.95:
            return self.call(depth - 1)
        return self.expr(0)

    def mutate(self, s):
        """A small edit, mostly making a syntax error of a valid expression."""
        i = self.rnd.randint(0, len(s))
        r = self.rnd.random()
        if r < 0.4 and s:
            return s[:i] + s[i + 1:]
        if r < 0.8:
            return s[:i] + self.rnd.choice(NOISE) + s[i:]
        return s[:i]

    def draw(self):
        s = self.expr(self.rnd.randint(1, 4))
        if self.rnd.random() < 0.12:
            s = self.mutate(s)
        return s


# ---- running ----

def compare(cases, program, verbose, messages=False):
    """cases: [(label, expression, given, known)]. Returns (failures, tallies)."""
    answers = run_eval(program, [(e, g) for _, e, g, _ in cases])
    failures, tally = 0, {}
    for (label, expression, given, marked), ours in zip(cases, answers):
        theirs = python_answer(expression, given)
        outcome = "result" if "result" in ours else ours["error"]
        if agree(ours, theirs):
            if messages and "error" in ours and ours["message"] != theirs["message"]:
                print(f"message {label}: {expression!r}\n  ours:   {ours['message']!r}\n"
                      f"  python: {theirs['message']!r}")
            if marked:
                failures += 1
                print(f"FAIL {label}: {expression!r}: marked {marked} but both agree")
                continue
            tally[outcome] = tally.get(outcome, 0) + 1
            continue
        found = known_difference(expression, given, ours, theirs)
        if found and (marked is None or marked == found):
            tally["known " + found] = tally.get("known " + found, 0) + 1
            if verbose:
                print(f"known {found} {label}: {expression!r}: ours {ours}, python {theirs}")
            continue
        failures += 1
        print(f"FAIL {label}: {expression!r}\n  ours:   {json.dumps(ours)}\n"
              f"  python: {json.dumps(theirs, default=repr)}")
    return failures, tally


def differential(args):
    docs, corpus = read_corpus(args.corpus)
    cases = [(f"{os.path.basename(args.corpus)}:{line}", e, docs[d], k)
             for d, e, k, line in corpus]
    keys = set()
    collect_keys(docs, keys)
    gen = Generator(args.seed, keys)
    names = sorted(docs)
    for i in range(args.random):
        d = gen.rnd.choice(names)
        cases.append((f"random#{i} over {d}", gen.draw(), docs[d], None))
    failures, tally = compare(cases, args.eval, args.verbose, args.messages)
    print(f"{len(corpus)} corpus cases, {args.random} random (seed {args.seed}) over "
          f"{len(docs)} documents: " + ", ".join(f"{v} {k}" for k, v in sorted(tally.items())))
    if failures:
        print(f"{failures} disagreements with Python jmespath {jmespath.__version__}")
    return 1 if failures else 0


def compliance(args):
    files = sorted(glob.glob(os.path.join(args.compliance, "*.json"))) or \
        sorted(glob.glob(os.path.join(args.compliance, "tests", "*.json")))
    if not files:
        sys.exit(f"no *.json in {args.compliance} or {args.compliance}/tests")
    total = passed = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            suites = json.load(f)
        cases = [(s.get("given"), c) for s in suites for c in s["cases"]]
        answers = run_eval(args.eval, [(c["expression"], g) for g, c in cases])
        ok = 0
        for (_, c), ours in zip(cases, answers):
            if "error" in c:
                good = ours.get("error") == c["error"]
            elif "result" in c:
                good = "result" in ours and same(ours["result"], c["result"])
            else:  # a benchmark: it must run
                good = "result" in ours
            ok += good
            if not good:
                print(f"FAIL {os.path.basename(path)}: {c['expression']!r}: got {json.dumps(ours)}"
                      f", expected {json.dumps({k: c[k] for k in ('result', 'error') if k in c})}")
        print(f"{os.path.basename(path):20} {len(cases):5} cases {ok:5} passed "
              f"{len(cases) - ok:5} failed")
        total += len(cases)
        passed += ok
    print(f"{'total':20} {total:5} cases {passed:5} passed {total - passed:5} failed")
    return 0 if passed == total else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--eval", required=True, help="the jmespath_eval program")
    p.add_argument("--seed", type=int, default=20261204)
    p.add_argument("--random", type=int, default=5000, help="random expressions (default 5000)")
    p.add_argument("--verbose", action="store_true", help="also print known differences")
    p.add_argument("--messages", action="store_true",
                   help="also print errors of the same class worded otherwise (not a failure)")
    p.add_argument("--compliance", metavar="DIR", help="run the official suite from DIR")
    p.add_argument("corpus", nargs="?", help="tests/data/jmespath-cases.txt")
    args = p.parse_args()
    if args.compliance:
        return compliance(args)
    if not args.corpus:
        p.error("a corpus is needed")
    return differential(args)


if __name__ == "__main__":
    sys.exit(main())
