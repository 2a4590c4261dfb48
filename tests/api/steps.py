"""What the API workflow scripts share (resource_workflow.py, libcloud_workflow.py,
bad_requests_account.py): one printed line per step, "ok ..." or "FAIL ...", and the count of
failed ones, which the script's exit status follows (steps.finish())."""
import sys
import traceback

failed = 0


def step(name, cond, detail=""):
    """Prints the step's line (with detail when it failed) and returns cond."""
    global failed
    print(("ok   " if cond else "FAIL ") + name + ("" if cond or not detail else ": %s" % (detail,)),
          flush=True)
    failed += 0 if cond else 1
    return cond


def guarded(name, limit=2):
    """Runs the decorated section at once; an exception in it is one FAIL, not the end."""
    def run(fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 -- any error of a section is that section's FAIL
            step("%s: raised %s" % (name, type(e).__name__), False, e)
            traceback.print_exc(limit=limit, file=sys.stdout)
        return fn
    return run


def finish():
    print("%d failed" % failed)
    sys.exit(1 if failed else 0)
