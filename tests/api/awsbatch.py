"""Runs many aws CLI commands in one process: Debian's awscli (the code behind /usr/bin/aws), its
output and exit status per command exactly as `aws ARGS...` gives them, without paying the CLI's
start-up (seconds on a loaded host) once per command. PLAN holds one command a line, a JSON array of
the arguments after `aws`; command N's stdout, stderr and exit status go to OUT/N.out, OUT/N.err,
OUT/N.rc (N from 1).

Usage: awsbatch.py PLAN OUT
"""
import contextlib
import json
import os
import sys

import awscli.clidriver

plan, out = sys.argv[1:3]
with open(plan) as f:
    commands = [json.loads(line) for line in f if line.strip()]
for n, args in enumerate(commands, 1):
    base = os.path.join(out, str(n))
    with open(base + ".out", "w") as o, open(base + ".err", "w") as e:
        with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
            try:
                # A fresh entry point per command, as a new `aws` process would have.
                rc = awscli.clidriver.AWSCLIEntryPoint().main(args)
            except SystemExit as x:  # argparse's errors exit
                rc = x.code if isinstance(x.code, int) else 255
    with open(base + ".rc", "w") as r:
        r.write("%d\n" % rc)
