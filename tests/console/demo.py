#!/usr/bin/env python3
"""The course's demo, "Launching the Employee Directory Application", in ec2-lite's web console,
click by click as the instructor does it in the EC2 console: sign in, Launch instances, name
"employee directory app", the Quick Start AMI, t2.micro, proceed without a key pair, a new
security group with HTTP and HTTPS (no SSH), the user data uploaded from
userdata/employee-directory.sh, Launch; the instance in the table until it runs.

With --real (a real host, real guests): it then waits for "2/2 checks passed", follows the public
IP link and expects the Employee Directory's page, stops the instance, starts it again (a new
public IP shows in the table) and terminates it. Without --real it passes on libvirt's test
driver (tests/console/console.sh BIN demo): the guest's page is not checked there, stop, start
and terminate are. Waits are generous (a TCG guest takes about two minutes to serve the app)
and on what the page shows.

--screenshots DIR saves the main pages as PNGs (Instances, Launch, details, Monitoring).

  tests/console/demo.py --url http://127.0.0.1:8080/console/ --key-id AKID... --secret ... --real
"""
import argparse
import os
import sys
import time

from selenium.webdriver.common.by import By

from console_driver import Console, make_browser

HERE = os.path.dirname(os.path.abspath(__file__))


def step(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def shot(c, args, name):
    if args.screenshots:
        os.makedirs(args.screenshots, exist_ok=True)
        path = os.path.join(args.screenshots, name + ".png")
        c.screenshot(path)
        step(f"screenshot {path}")


# The Employee Directory's origins (http://PUBLIC-IP/) that the demo opened.
APP_ORIGINS = []


def app_page(c, ip, timeout):
    """Follows the table's public IP link (a new tab) until the Employee Directory answers."""
    main = c.d.current_window_handle
    APP_ORIGINS.append(f"http://{ip}/")
    c.d.find_element(By.CSS_SELECTOR, f'#instances-table a.public-ip[href="http://{ip}/"]').click()
    c.wait(lambda d: len(d.window_handles) > 1, 10, "the public IP link opened nothing")
    c.d.switch_to.window([h for h in c.d.window_handles if h != main][0])
    deadline = time.time() + timeout
    title = ""
    while time.time() < deadline:
        title = c.d.title
        if "Employee Directory" in title:
            break
        time.sleep(5)  # the app is not up yet: load the page again
        c.d.get(f"http://{ip}/")
    heading = c.d.find_element(By.TAG_NAME, "body").text[:200] if "Employee Directory" in title else ""
    c.d.close()
    c.d.switch_to.window(main)
    return title, heading


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True, help="the console: http://HOST:PORT/console/")
    p.add_argument("--key-id", required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--userdata", default=os.path.join(HERE, "..", "..", "userdata", "employee-directory.sh"))
    p.add_argument("--real", action="store_true", help="a real host: wait for the guest and its app")
    p.add_argument("--screenshots", metavar="DIR", help="save the main pages as PNGs in DIR")
    p.add_argument("--boot-timeout", type=int, default=900, help="seconds for 2/2 checks passed (--real)")
    args = p.parse_args()
    d = make_browser()
    c = Console(d, args.url, timeout=30)
    try:
        demo(c, args)
    except Exception as e:
        print(f"FAIL {e.__class__.__name__}: {e}", flush=True)
        c.screenshot("/tmp/console-demo-failure.png")
        print("  screenshot /tmp/console-demo-failure.png; browser log:",
              [x.get("message") for x in c.browser_log()])
        return 1
    finally:
        d.quit()
    # The console's errors; the app's own pages (its missing favicon.ico) are not the console.
    errors = [e for e in c.log if e.get("level") == "SEVERE" and
              not any(e.get("message", "").startswith(o) for o in APP_ORIGINS)]
    if errors:
        print(f"FAIL the browser logged errors: {[e.get('message') for e in errors]}")
        return 1
    print("ok   the Employee Directory demo" + (" on a real guest" if args.real else " (test driver)"))
    return 0


def demo(c, args):
    step("sign in")
    c.sign_in(args.key_id, args.secret)
    if args.screenshots:
        c.open_launch()
        c.find("#launch-name").send_keys("employee directory app")
        shot(c, args, "launch")
    step("launch: employee directory app, Quick Start AMI, t2.micro, no key pair, HTTP+HTTPS, user data")
    iid = c.launch_demo(args.userdata)
    step(f"launched {iid}")
    c.wait_state(iid, "running", timeout=300)
    step("Running")
    if args.real:
        c.wait_checks(iid, "2/2 checks passed", timeout=args.boot_timeout)
        step("2/2 checks passed")
    else:
        c.wait(lambda d: c.cell(iid, ".checks") in ("Initializing", "2/2 checks passed"), 60, "no status checks")
        step(f"status checks: {c.cell(iid, '.checks')}")
    ip = c.public_ip(iid)
    step(f"public IP {ip}")
    c.only(iid)
    c.find("#detail .detail-summary")
    shot(c, args, "instances")
    if args.screenshots:
        c.browser_log()
        c.open_monitoring(iid)
        shot(c, args, "monitoring")
        c.click("#tabbtn-details")
    if args.real:
        title, heading = app_page(c, ip, timeout=600)
        if "Employee Directory" not in title:
            raise AssertionError(f"http://{ip}/ is not the Employee Directory (title '{title}')")
        step(f"http://{ip}/: '{title}'")
    title, flash = c.instance_action(iid, "stop")
    step(f"{title} {flash}")
    c.wait_state(iid, "stopped", timeout=300)
    step("Stopped")
    title, flash = c.instance_action(iid, "start")
    step(flash)
    c.wait_state(iid, "running", timeout=300)
    if args.real:
        c.wait(lambda d: c.public_ip(iid) not in ("", "–", ip), 120, "no new public IP shown")
        step(f"Running, new public IP {c.public_ip(iid)} (was {ip})")
        c.wait_checks(iid, "2/2 checks passed", timeout=args.boot_timeout)
        title, _ = app_page(c, c.public_ip(iid), timeout=600)
        if "Employee Directory" not in title:
            raise AssertionError(f"after the start, the app is not served (title '{title}')")
        step("the Employee Directory answers again")
    else:
        step(f"Running, public IP {c.public_ip(iid)} (was {ip})")
    title, flash = c.instance_action(iid, "terminate")
    step(f"{title} {flash}")
    c.wait_state(iid, "terminated", timeout=300)
    step("Terminated")
    c.browser_log()


if __name__ == "__main__":
    sys.exit(main())
