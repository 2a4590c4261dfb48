"""The web console's checks in headless Chromium, against `ec2-lite serve` on libvirt's test
driver (started by console.sh). Each check prints "ok" or "FAIL"; any SEVERE entry in the
browser's log fails the run, except the API's own error answers (HTTP 4xx of POST /) during the
steps that expect one (a wrong secret, a bad field)."""
import argparse
import base64
import os
import re
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.action_chains import ActionChains

from console_driver import Console, make_browser

failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures += 1


def log_clean(c, step, api_errors_expected=False):
    """No SEVERE entry in the browser's log since the last step (but the API's error answers
    when the step expects them)."""
    bad = []
    for e in c.browser_log():
        if e.get("level") != "SEVERE":
            continue
        api = e.get("source") == "network" and e.get("message", "").startswith(c.api + " ")
        if not (api and api_errors_expected):
            bad.append(e.get("message"))
    check(not bad, f"{step}: no SEVERE entry in the browser's log" + (f": {bad}" if bad else ""))
    # A value the page failed to write shows as JavaScript's own words.
    text = c.d.execute_script("return document.body.innerText")
    junk = [w for w in ("undefined", "[object ", "NaN") if w in text] + (["null"] if re.search(r"\bnull\b", text) else [])
    check(not junk, f"{step}: no undefined, null, NaN or [object] on the page" + (f": {junk}" if junk else ""))


def http(url, method="GET"):
    req = urllib.request.Request(url, method=method)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None
    try:
        r = urllib.request.build_opener(NoRedirect).open(req, timeout=60)
        return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def served(args):
    base = args.url.rstrip("/")
    st, h, _ = http(base)
    check(st == 301 and h.get("Location") == "/console/", f"GET /console redirects to /console/ ({st} {h.get('Location')})")
    st, h, body = http(base + "/")
    check(st == 200 and h.get("Content-Type", "").startswith("text/html") and b"<title>" in body,
          "GET /console/ is index.html")
    csp = h.get("Content-Security-Policy", "")
    check("default-src 'self'" in csp and "unsafe-inline" not in csp and h.get("X-Content-Type-Options") == "nosniff"
          and h.get("X-Frame-Options") == "DENY" and h.get("Cache-Control") == "no-cache",
          "its headers: a strict Content-Security-Policy, nosniff, DENY, no-cache")
    st, h, _ = http(base + "/", "HEAD")
    check(st == 200, "HEAD /console/ answers 200")
    st, h, body = http(base + "/sigv4.js")
    check(st == 200 and h.get("Content-Type", "").startswith("text/javascript"), "GET /console/sigv4.js is JavaScript")
    st, _, body = http(base + "/config.json")
    check(st == 200 and b'"region":"us-east-1"' in body and b'"auth":true' in body and b"secret" not in body,
          f"config.json: region and auth, nothing secret ({body!r})")
    for bad in ("/nope.js", "/%2e%2e/state.json", "/..%2fstate.json", "/index.html/", "/sub/index.html"):
        st, _, _ = http(base + bad)
        check(st == 404, f"GET /console{bad} is 404 ({st})")


def sigv4_vector(c):
    """AWS's SigV4 test suite, get-vanilla: the page's signer gives its signature."""
    got = c.d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        SigV4.sign({method: 'GET', host: 'example.amazonaws.com', path: '/', query: '', headers: {}, body: ''},
                   {accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'},
                   'us-east-1', 'service', new Date(Date.UTC(2015, 7, 30, 12, 36, 0)))
            .then((h) => done(h.Authorization), (e) => done('error ' + e));""")
    want = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    check(got == want, f"SigV4 in the browser matches AWS's test suite (get-vanilla): {got}")


def api(c, action, params, svc="ec2"):
    """An API call through the page's own signed client: the answer's XML text."""
    return c.d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        Api.call(arguments[0], arguments[1], arguments[2]).then((d) => done(new XMLSerializer().serializeToString(d)),
            (e) => done('ERROR ' + e.code + ' ' + e.message));""", action, params, svc)


def tab_to(c, css, limit=80):
    """Presses Tab until the element css has the focus (keyboard only)."""
    for _ in range(limit):
        if c.d.execute_script("return document.activeElement && document.activeElement.matches(arguments[0])", css):
            return True
        ActionChains(c.d).send_keys(Keys.TAB).perform()
    return False


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--key-id", required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--userdata", required=True)
    args = p.parse_args()
    served(args)
    downloads = tempfile.mkdtemp()
    d = make_browser(downloads=downloads)
    c = Console(d, args.url)
    c.downloads = downloads
    c.api = args.url.split("/console")[0] + "/"
    try:
        run(c, args)
    except Exception as e:
        traceback.print_exc()
        check(False, f"the run stopped: {e.__class__.__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        shot = "/tmp/console-failure.png"
        c.screenshot(shot)
        print(f"  page: {d.current_url}; screenshot {shot}; flash: {[f.text for f in d.find_elements(By.CSS_SELECTOR, '#flash .flash')]}")
        print(f"  errors shown: {c.errors()}; browser log: {[x.get('message') for x in c.browser_log()]}")
    finally:
        d.quit()
    print(f"{failures} failure(s)")
    return 1 if failures else 0


def run(c, args):
    # Sign-in: a wrong secret is refused with the API's error; the right one signs in.
    err = c.sign_in(args.key_id, "not-the-secret", expect_ok=False)
    check("SignatureDoesNotMatch" in err or "AuthFailure" in err, f"a wrong secret is refused: {err}")
    check(not c.d.find_elements(By.CSS_SELECTOR, "#nav:not([hidden])"), "and the console stays closed")
    check(c.d.execute_script("return localStorage.getItem('ec2lite.cred')") is None, "and nothing is kept in localStorage")
    log_clean(c, "wrong secret", api_errors_expected=True)
    sigv4_vector(c)
    c.sign_in(args.key_id, args.secret)
    check(c.text("#who").startswith(args.key_id), "signed in: the key id is shown")
    check(c.d.execute_script("return localStorage.getItem('ec2lite.cred')") is None, "the secret is not kept without Remember me")
    log_clean(c, "sign in")

    # A bad field: EC2's error next to it, and nothing created (not even the new group).
    groups_before = api(c, "DescribeSecurityGroups", {}).count("<groupId>")
    field, text = c.launch(name="bad", count=0, expect_ok=False)
    check(field == "count" and "InvalidParameterValue" in text, f"count 0: EC2's error next to the count field ({field}: {text})")
    check(api(c, "DescribeSecurityGroups", {}).count("<groupId>") == groups_before, "and no security group was created")
    field, text = c.launch(name="bad", root_size=20000, expect_ok=False)
    check(field == "storage" and "InvalidBlockDeviceMapping" in text,
          f"a root volume of 20000 GiB: EC2's error next to the storage field ({field}: {text})")
    field, text = c.launch(name="bad", instance_type="m5.metal", hibernation="Enable", expect_ok=False)
    check(field == "type" and "UnsupportedHibernationConfiguration" in text,
          f"hibernation on a type that cannot hibernate: EC2's error next to the instance type ({field}: {text})")
    log_clean(c, "bad fields", api_errors_expected=True)

    # The wizard's "Create new key pair": the .pem is downloaded, the new pair chosen.
    c.open_launch()
    c.click("#create-key-pair")
    c.find("#new-key-name").send_keys("wizard-key")
    c.click(".modal .modal-buttons button.primary")
    c.wait(lambda d: c.find("#key-pair").get_attribute("value") == "wizard-key", message="the new key pair is not chosen")
    pem = os.path.join(c.downloads, "wizard-key.pem")
    deadline = time.time() + 10
    while not os.path.exists(pem) and time.time() < deadline:
        time.sleep(0.2)  # the browser writes the file on its own
    body = open(pem).read() if os.path.exists(pem) else ""
    check("PRIVATE KEY-----" in body, f"Create new key pair in the wizard: wizard-key.pem downloaded ({len(body)} bytes) and chosen")
    log_clean(c, "wizard key pair")

    # The seed's IAM instance profile, made through the page's own client (IAM's API).
    trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    for action, params in (("CreateRole", {"RoleName": "employee-web-app-role", "AssumeRolePolicyDocument": trust}),
                           ("CreateInstanceProfile", {"InstanceProfileName": "employee-web-app-role"}),
                           ("AddRoleToInstanceProfile", {"InstanceProfileName": "employee-web-app-role", "RoleName": "employee-web-app-role"})):
        out = api(c, action, params, "iam")
        check(not out.startswith("ERROR"), f"IAM {action}: {out[:80]}")

    # The course's demo, click by click; the instance appears in the table.
    iid = c.launch_demo(args.userdata, iam_profile="employee-web-app-role")
    check(iid.startswith("i-"), f"the demo's launch: {iid}")
    c.row(iid)
    check(c.cell(iid, ".name") == "employee directory app", "its Name tag is in the table")
    check(c.cell(iid, "td:nth-child(5)") == "t2.micro", "t2.micro")
    c.find("#instance-filter").send_keys("no-such-instance")
    c.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, f'#instances-table tr[data-key="{iid}"]'), message="the filter hid nothing")
    check("No instances match the filter" in c.text("#instances-table"), "the filter hides what does not match")
    c.find("#instance-filter").clear()
    c.find("#instance-filter").send_keys("employee")
    c.row(iid)
    check(True, "and finds the instance by its Name")
    c.find("#instance-filter").clear()
    c.find("#instance-filter").send_keys(" ")
    c.find("#instance-filter").clear()
    c.wait_state(iid, "running", timeout=180)
    check(True, "it shows Running")
    c.wait(lambda d: c.cell(iid, ".checks") in ("Initializing", "2/2 checks passed"), 30, "no status checks shown")
    check(True, f"status checks shown: {c.cell(iid, '.checks')}")
    xml = api(c, "DescribeInstances", {"InstanceId.1": iid})
    sg = xml.split("<groupId>")[1].split("<")[0]
    rules = api(c, "DescribeSecurityGroups", {"GroupId.1": sg})
    ports = sorted(int(x.split("<")[0]) for x in rules.split("<fromPort>")[1:])
    check(ports == [80, 443] and "launch-wizard-" in rules, f"its new group {sg} lets in HTTP and HTTPS, not SSH: {ports}")
    ud = api(c, "DescribeInstanceAttribute", {"InstanceId": iid, "Attribute": "userData"})
    want = base64.b64encode(open(args.userdata, "rb").read()).decode()
    check(want in ud, "its user data is the uploaded userdata/employee-directory.sh")
    check("KeyName" not in xml and "<keyName>" not in xml, "it was launched without a key pair")
    check("instance-profile/employee-web-app-role" in xml, "with the IAM instance profile chosen in Advanced details")
    log_clean(c, "the demo's launch")

    # Connect, Get system log, Reboot.
    c.only(iid)
    text = c.dialog("#action-connect")
    check(f"admin@{c.public_ip(iid)}" in c.text("#ssh-command"), f"Connect: the ssh command line ({c.text('#ssh-command')})")
    c.close_dialog()
    text = c.dialog("#action-system-log")
    check("Get system log" in text and c.find("#system-log"), "Get system log: the console output's dialog")
    c.close_dialog()
    text = c.dialog("#action-boot-timeline")
    xml = api(c, "DescribeBootTimeline", {"InstanceId.1": iid})
    check("<DescribeBootTimelineResponse" in xml and re.search(r"<bootTimelineSet ?/?>", xml), f"DescribeBootTimeline through the API: {xml[:200]}")
    phases = re.findall(r"<phase>([^<]+)</phase><seconds>([^<]+)</seconds>", xml)
    check("Boot timeline" in text and all(p in text for p, _ in phases) and ("Boot started at" in text or "No boot timeline" in text),
          f"Boot timeline: the dialog shows the phases {phases}")
    c.close_dialog()
    title, flash = c.instance_action(iid, "reboot")
    check(title == "Reboot instance?" and "Successfully rebooted" in flash, f"Reboot: '{title}', then '{flash}'")
    log_clean(c, "connect, system log, reboot")

    # The details pane and the Monitoring tab: the test driver gives no statistics, so "No data".
    points = c.open_monitoring(iid)
    nodata = len(c.d.find_elements(By.CSS_SELECTOR, "#charts .nodata"))
    check(len(points) == 5 and (nodata == 5 or sum(points.values()) > 0), f"Monitoring: five charts ({points}, {nodata} say No data)")
    # With datapoints the charts draw them: CloudWatch's answer is stood in for by the page's own
    # client (the test driver has none to give; vm_console sees real ones).
    c.d.execute_script("""
        const real = window.realCall = Api.call;
        Api.call = async (action, params, svc) => {
            if (action !== 'GetMetricStatistics')
                return real(action, params, svc);
            const now = Date.now(), ns = 'http://monitoring.amazonaws.com/doc/2010-08-01/';
            const pts = [600, 300, 60].map((s, i) => `<member><Timestamp>${new Date(now - s * 1000).toISOString()}</Timestamp>`
                + `<Average>${(i + 1) * 10}</Average><Unit>Percent</Unit></member>`).join('');
            return new DOMParser().parseFromString(`<GetMetricStatisticsResponse xmlns="${ns}"><GetMetricStatisticsResult>`
                + `<Label>${params.MetricName}</Label><Datapoints>${pts}</Datapoints></GetMetricStatisticsResult>`
                + `</GetMetricStatisticsResponse>`, 'application/xml').documentElement;
        };""")
    c.click("#tabbtn-details")
    points = c.open_monitoring(iid)
    lines = c.d.execute_script("return Array.from(document.querySelectorAll('#charts polyline.series'), (p) => p.getAttribute('points').split(' ').length)")
    check(set(points.values()) == {3} and lines == [3] * 5, f"Monitoring with CloudWatch's datapoints: five lines of 3 points ({points}, {lines})")
    c.d.execute_script("Api.call = window.realCall")
    c.click("#tabbtn-networking")
    check(c.find("#tab-networking").text.find(iid) < 0 and "Subnet ID" in c.find("#tab-networking").text, "Networking tab")
    log_clean(c, "monitoring", api_errors_expected=True)

    # Stop, start and terminate from the table, with their confirmations.
    title, flash = c.instance_action(iid, "stop")
    check(title == "Stop instance?" and "Successfully stopped" in flash, f"Stop: '{title}', then '{flash}'")
    c.wait_state(iid, "stopped")
    check(True, "it shows Stopped")
    title, flash = c.instance_action(iid, "start")
    check(title is None and "Successfully started" in flash, f"Start: '{flash}'")
    c.wait_state(iid, "running")
    check(True, "it shows Running again")
    title, _ = c.instance_action(iid, "terminate", confirm=False)
    check(title == "Terminate (delete) instance?" and c.state(iid) == "Running", "Terminate's confirmation, cancelled: still running")
    title, flash = c.instance_action(iid, "terminate")
    check("Successfully terminated" in flash, f"Terminate: '{flash}'")
    c.wait_state(iid, "terminated")
    check(True, "it shows Terminated")
    log_clean(c, "stop, start, terminate")

    volumes(c)

    # Security groups: an inbound rule added and deleted on the demo's group.
    c.go("#/security-groups")
    c.find("#security-groups table")
    c.click(f'#security-groups tr[data-key="{sg}"] input[type=checkbox]')
    c.click("#add-rule")
    from selenium.webdriver.support.ui import Select
    Select(c.find("#rule-type")).select_by_visible_text("SSH")
    c.find("#rule-source").clear()
    c.find("#rule-source").send_keys("10.0.0.0/8")
    c.click(".modal .modal-buttons button.primary")
    c.wait(lambda d: "10.0.0.0/8" in c.find("#security-groups .detail").text, message="the new rule is not listed")
    rules = api(c, "DescribeSecurityGroups", {"GroupId.1": sg})
    check("<cidrIp>10.0.0.0/8</cidrIp>" in rules, "Security groups: an SSH rule from 10.0.0.0/8 added (AuthorizeSecurityGroupIngress)")
    c.click('#security-groups .detail button[aria-label="Delete rule SSH from 10.0.0.0/8"]')
    c.wait(lambda d: "10.0.0.0/8" not in c.find("#security-groups .detail").text, message="the rule stayed")
    check("10.0.0.0/8" not in api(c, "DescribeSecurityGroups", {"GroupId.1": sg}), "and deleted (RevokeSecurityGroupIngress)")
    log_clean(c, "security groups")

    # Key pairs: import one, delete it with its confirmation.
    c.go("#/key-pairs")
    c.find("#key-pairs table")
    c.click("#import-key")
    c.find("#import-key-name").send_keys("imported")
    c.find("#import-key-material").send_keys(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIkjJ8Vx1M3Vw5u0lqz3r0aQ2Qv6Yt1y4m7l0bR0nX7S test@example")
    c.click(".modal .modal-buttons button.primary")
    c.find('#key-pairs tr[data-key="imported"]')
    check(True, "Key pairs: an imported key is listed")
    c.click('#key-pairs tr[data-key="imported"] input[type=checkbox]')
    c.click("#delete-key")
    check(c.text("#modal-title") == "Delete key pair?", "Delete asks first")
    c.click(".modal .modal-buttons button.danger")
    c.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, '#key-pairs tr[data-key="imported"]'), message="the key stayed")
    check("<keyName>imported</keyName>" not in api(c, "DescribeKeyPairs", {}), "and it is deleted")
    log_clean(c, "key pairs")

    # AMIs: yours and the Quick Start ones; deregister yours.
    c.go("#/amis")
    text = c.find("#amis table").text
    check("debian-12" in text and "amazon" in text and "my-golden-image" in text, "AMIs: the Quick Start AMI and mine")
    mine = [r.get_attribute("data-key") for r in c.d.find_elements(By.CSS_SELECTOR, "#amis tr[data-key]") if "my-golden-image" in r.text][0]
    c.click(f'#amis tr[data-key="{mine}"] input[type=checkbox]')
    c.click("#deregister-ami")
    c.click(".modal .modal-buttons button.danger")
    c.wait(lambda d: "my-golden-image" not in c.find("#amis table").text, message="the AMI stayed")
    check(True, "Deregister AMI")
    c.go("#/zones")
    check("us-east-1a" in c.find("#zones table").text, "Availability Zones are listed")
    c.go("#/addresses")
    c.click("#allocate-address")
    c.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#addresses tr[data-key]"), message="no Elastic IP listed")
    check(True, "Elastic IPs: one allocated and listed")
    log_clean(c, "AMIs, zones, Elastic IPs")

    # Keyboard only: to Key pairs from the navigation, create one (its .pem is offered).
    c.d.find_element(By.TAG_NAME, "body").click()
    check(tab_to(c, '#nav a[href="#/key-pairs"]'), "Tab reaches Key Pairs in the navigation")
    ActionChains(c.d).send_keys(Keys.ENTER).perform()
    c.find("#key-pairs table")
    check(tab_to(c, "#create-key"), "Tab reaches Create key pair")
    ActionChains(c.d).send_keys(Keys.ENTER).perform()
    c.find("#new-key-name")
    check(c.d.execute_script("return document.activeElement.id") == "new-key-name", "the dialog takes the focus")
    ActionChains(c.d).send_keys("keyboard-key").perform()
    check(tab_to(c, ".modal .modal-buttons button.primary", 10), "Tab reaches the dialog's Create key pair")
    ActionChains(c.d).send_keys(Keys.ENTER).perform()
    c.wait(lambda d: "keyboard-key" in c.find("#key-pairs").text, message="the new key pair is not listed")
    check(True, "a key pair created by keyboard alone is listed")
    check(c.d.execute_script("return !document.querySelector('.overlay')"), "and the dialog closed")
    log_clean(c, "keyboard")

    # A narrow window: the navigation above, no sideways scrolling of the page.
    c.d.set_window_size(390, 800)
    c.open_instances()
    c.go("#/launch")
    c.find("#launch")
    wide = c.d.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    nav_top = c.d.execute_script("return document.getElementById('nav').getBoundingClientRect().bottom <= document.getElementById('main').getBoundingClientRect().top + 1")
    check(wide <= 0 and nav_top, f"narrow window: nothing wider than the window ({wide} px too wide), navigation on top")
    c.d.set_window_size(1280, 720)
    log_clean(c, "narrow window")


def pick(c, page, key):
    """Selects the row key of a list page (a page keeps its selection when the user comes back)."""
    box = c.find(f'#{page} tr[data-key="{key}"] input[type=checkbox]')
    if not box.is_selected():
        box.click()
    c.wait(lambda d: d.find_element(By.CSS_SELECTOR, f'#{page} tr[data-key="{key}"] input[type=checkbox]').is_selected(), message=f"{key} not selected")


def volumes(c):
    """Elastic Block Store: Volumes and Snapshots. The test driver cannot hot-plug a disk: attach
    and detach are done on a stopped instance."""
    from selenium.webdriver.support.ui import Select
    ami = re.search(r"<imageId>(ami-[0-9a-f]+)</imageId>", api(c, "DescribeImages", {"Owner.1": "amazon"})).group(1)
    run = api(c, "RunInstances", {"ImageId": ami, "InstanceType": "t2.nano", "MinCount": "1", "MaxCount": "1"})
    iid = re.search(r"<instanceId>(i-[0-9a-f]+)</instanceId>", run).group(1)
    api(c, "StopInstances", {"InstanceId.1": iid})
    c.go("#/volumes")
    c.find("#volumes table")
    root = re.search(r"<volumeId>(vol-[0-9a-f]+)</volumeId>", api(c, "DescribeVolumes", {"Filter.1.Name": "attachment.instance-id", "Filter.1.Value.1": iid})).group(1)
    row = c.find(f'#volumes tr[data-key="{root}"]').text
    check("In-use" in row and iid in row and "/dev/xvda" in row, f"Volumes: an instance's root volume, in-use, its instance and device ({row})")
    check(c.d.find_element(By.CSS_SELECTOR, '#nav a[href="#/volumes"]').text == "Volumes"
          and "elastic block store" in c.text("#nav").lower(), "the navigation's Elastic Block Store: Volumes")

    # Create volume: EC2's error next to the size, then a 2-GiB gp3 volume.
    c.click("#create-volume")
    c.find("#volume-size").clear()
    c.find("#volume-size").send_keys("99999")
    c.click(".modal .modal-buttons button.primary")
    c.wait(lambda d: c.text('[data-error-for="size"]'), message="no error next to the size")
    check("InvalidParameterValue" in c.text('[data-error-for="size"]'), f"Create volume: EC2's error next to Size ({c.text('[data-error-for=size]')})")
    c.find("#volume-size").clear()
    c.find("#volume-size").send_keys("2")
    Select(c.find("#volume-type")).select_by_value("gp3")
    c.click(".modal .modal-buttons button.primary")
    c.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, ".overlay"), message="the dialog stayed")
    vid = re.search(r"vol-[0-9a-f]+", c.text("#flash")).group(0)
    c.wait(lambda d: "Available" in c.find(f'#volumes tr[data-key="{vid}"]').text, message="the new volume is not available")
    row = c.find(f'#volumes tr[data-key="{vid}"]').text
    check("gp3" in row and "2 GiB" in row and "us-east-1a" in row, f"a new gp3 volume of 2 GiB, Available ({row})")
    log_clean(c, "create volume", api_errors_expected=True)

    # Attach: the instances of its zone, /dev/sdf to /dev/sdp. The test driver cannot attach a
    # disk (virDomainAttachDeviceFlags): its error stays in the dialog and nothing changes.
    pick(c, "volumes", vid)
    c.click("#attach-volume")
    c.wait(lambda d: len(Select(c.find("#attach-instance")).options) > 0, message="no instance offered")
    Select(c.find("#attach-instance")).select_by_value(iid)
    check([o.text for o in Select(c.find("#attach-device")).options] == [f"/dev/sd{x}" for x in "fghijklmnop"], "Attach offers /dev/sdf to /dev/sdp")
    Select(c.find("#attach-device")).select_by_value("/dev/sdg")
    c.click(".modal .modal-buttons button.primary")
    c.wait(lambda d: c.text('[data-error-for="modal"]'), message="no error in the Attach dialog")
    check("not supported by the connection driver" in c.text('[data-error-for="modal"]') and not c.d.execute_script("return document.querySelector('[data-error-for=device]').textContent"),
          f"Attach volume on the test driver: its InternalError in the dialog, not beside a field ({c.text('[data-error-for=modal]')})")
    c.click(".modal .modal-buttons button.cancel")
    check("Available" in c.find(f'#volumes tr[data-key="{vid}"]').text, "and the volume stays available")
    c.go(f"#/instances/{iid}")
    c.click("#tabbtn-storage")
    c.wait(lambda d: root in c.text("#tab-storage"), message="the Storage tab does not list the root volume")
    storage = c.text("#tab-storage")
    check("/dev/xvda" in storage and "Root device name" in storage and "Yes" in storage,
          f"the instance's Storage tab: its root volume, deleted on termination ({storage})")
    c.go("#/volumes")
    pick(c, "volumes", vid)
    c.click("#detach-volume")
    check(c.text("#modal-title") == "Detach volume", "Detach asks first")
    c.click(".modal .modal-buttons button.danger")
    c.wait(lambda d: c.text('[data-error-for="modal"]'), message="no error in the Detach dialog")
    check(f"Volume '{vid}' is in the 'available' state." in c.text('[data-error-for="modal"]'), "Detach of an available volume: EC2's IncorrectState in the dialog")
    c.click(".modal .modal-buttons button.cancel")
    log_clean(c, "attach and detach", api_errors_expected=True)

    # Create snapshot; the Snapshots page; a volume from it; deletes with EC2's confirmations.
    pick(c, "volumes", vid)
    c.click("#create-snapshot")
    c.find("#snapshot-description").send_keys("console snapshot")
    c.click(".modal .modal-buttons button.primary")
    c.wait(lambda d: re.search(r"snap-[0-9a-f]+", c.text("#flash")), message="no snapshot id in the flash")
    sid = re.search(r"snap-[0-9a-f]+", c.text("#flash")).group(0)
    c.go("#/snapshots")
    c.wait(lambda d: "Completed" in c.find(f'#snapshots tr[data-key="{sid}"]').text, message="the snapshot is not completed")
    row = c.find(f'#snapshots tr[data-key="{sid}"]').text
    check(vid in row and "2 GiB" in row and "100%" in row and "console snapshot" in row, f"Snapshots: {sid} of {vid}, 100% ({row})")
    pick(c, "snapshots", sid)
    c.click("#snapshot-create-volume")
    check(c.find("#volume-snapshot").get_attribute("value") == sid, "Create volume from snapshot names the snapshot")
    c.click(".modal .modal-buttons button.primary")
    c.wait(lambda d: re.search(r"vol-[0-9a-f]+", c.text("#flash .flash:last-child")), message="no volume id in the flash")
    wid = re.search(r"vol-[0-9a-f]+", c.text("#flash .flash:last-child")).group(0)
    c.go("#/volumes")
    row = c.find(f'#volumes tr[data-key="{wid}"]').text
    check(sid in row, f"a volume from the snapshot ({row})")
    for v in (vid, wid):
        pick(c, "volumes", v)
        c.click("#delete-volume")
        check(c.text("#modal-title") == "Delete volume" and v in c.text(".modal-body"), "Delete volume asks first")
        c.click(".modal .modal-buttons button.danger")
        c.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, f'#volumes tr[data-key="{v}"]'), message="the volume stayed")
    check("InvalidVolume.NotFound" in api(c, "DescribeVolumes", {"VolumeId.1": vid}), "Delete volume: both are gone")
    c.go("#/snapshots")
    pick(c, "snapshots", sid)
    c.click("#delete-snapshot")
    check(c.text("#modal-title") == "Delete snapshot", "Delete snapshot asks first")
    c.click(".modal .modal-buttons button.danger")
    c.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, f'#snapshots tr[data-key="{sid}"]'), message="the snapshot stayed")
    check(True, "Delete snapshot")
    api(c, "TerminateInstances", {"InstanceId.1": iid})
    log_clean(c, "snapshots", api_errors_expected=True)  # the DescribeVolumes of a deleted volume


if __name__ == "__main__":
    sys.exit(main())
