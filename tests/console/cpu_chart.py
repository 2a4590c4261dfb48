#!/usr/bin/env python3
"""The Monitoring tab's CPU chart of one instance (tests/vm/console.sh): signs in, opens the
instance's Monitoring tab and waits, while the page refreshes its charts, until the CPU
utilization chart has points and its latest value (the figure's heading, "CPU utilization (%)
· 93%") is above --above. Prints the value; exits 1 when it never gets there.

  tests/console/cpu_chart.py --url http://127.0.0.1:PORT/console/ --key-id ID --secret S \\
      --instance i-... --above 50 [--timeout 180]
"""
import argparse
import re
import sys

from selenium.webdriver.common.by import By

from console_driver import Console, make_browser


def latest(c):
    """The CPU chart's latest value in percent, or None while it has no points."""
    fig = c.d.find_elements(By.CSS_SELECTOR, '#charts figure[data-metric="CPUUtilization"]')
    if not fig or int(fig[0].get_attribute("data-points") or 0) == 0:
        return None
    m = re.search(r"·\s*([0-9.]+)%", fig[0].find_element(By.TAG_NAME, "h4").text)
    return float(m.group(1)) if m else None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--key-id", required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--instance", required=True)
    p.add_argument("--above", type=float, required=True)
    p.add_argument("--timeout", type=int, default=180)
    args = p.parse_args()
    d = make_browser()
    c = Console(d, args.url, timeout=30)
    seen = None
    try:
        c.sign_in(args.key_id, args.secret)
        c.open_instances()
        c.wait_state(args.instance, "running", timeout=60)
        c.open_monitoring(args.instance)

        def above(_):
            nonlocal seen
            seen = latest(c)
            return seen is not None and seen > args.above

        c.wait(above, args.timeout, "the chart's value did not rise")
    except Exception as e:
        print(f"FAIL {e.__class__.__name__}: {e}; the chart's latest value: {seen}", flush=True)
        return 1
    finally:
        d.quit()
    severe = [e for e in c.log if e.get("level") == "SEVERE"]
    if severe:
        print(f"FAIL the browser logged errors: {[e.get('message') for e in severe]}")
        return 1
    print(f"ok   the CPU chart shows {seen} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
