"""Drives ec2-lite's web console (src/console) in headless Chromium, as a user clicks it.

Used by test_console.py (the test driver's checks), demo.py (the course's Employee Directory
demo, end to end) and scripts/console-screenshots.py. Every wait is on what the page shows
(WebDriverWait polling the DOM), never a sleep taken as proof.
"""
import os

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait


def make_browser(width=1280, height=720, downloads=None):
    """Headless Chromium through Debian's chromedriver, with the browser's log collected;
    downloads (a folder) is where files the page offers (a key pair's .pem) are saved."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--no-first-run", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.set_window_size(width, height)
    if downloads:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    return driver


class Console:
    def __init__(self, driver, url, timeout=60):
        self.d = driver
        self.url = url
        self.timeout = timeout
        self.log = []  # the browser's log entries, collected as they are read

    # --- basics ---------------------------------------------------------------------------
    def wait(self, cond, timeout=None, message=""):
        return WebDriverWait(self.d, timeout or self.timeout, poll_frequency=0.25,
                             ignored_exceptions=(StaleElementReferenceException,)).until(cond, message)

    def find(self, css, timeout=None):
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), timeout,
                         f"no visible {css}")

    def click(self, css, timeout=None):
        el = self.wait(EC.element_to_be_clickable((By.CSS_SELECTOR, css)), timeout, f"{css} not clickable")
        el.click()
        return el

    def text(self, css):
        return self.find(css).text

    def browser_log(self):
        """The browser's log since the last call (kept in self.log too)."""
        entries = self.d.get_log("browser")
        self.log.extend(entries)
        return entries

    def severe(self):
        self.browser_log()
        return [e for e in self.log if e.get("level") == "SEVERE"]

    def open(self, hash_=""):
        self.d.get(self.url + hash_)

    def go(self, hash_):
        self.d.execute_script("location.hash = arguments[0]", hash_)

    # --- sign-in --------------------------------------------------------------------------
    def sign_in(self, key_id, secret, remember=False, expect_ok=True):
        self.open()
        self.find("#access-key-id").clear()
        self.find("#access-key-id").send_keys(key_id)
        self.find("#secret-access-key").send_keys(secret)
        if remember:
            self.click("#remember")
        self.click("#signin")
        if expect_ok:
            self.find("#instances-table table")
            return None
        return self.wait(lambda d: d.find_element(By.ID, "signin-error").text or False,
                         message="no sign-in error shown")

    # --- the launch wizard ------------------------------------------------------------------
    def open_launch(self):
        """A fresh wizard (from the Instances page's Launch instances, as a user starts one)."""
        self.open_instances()
        self.click("#launch-instances")
        self.find("#launch-name")

    def launch(self, name=None, ami_source="quick-start", ami_name=None, instance_type="t2.micro",
               key_pair=None, ssh=False, https=True, http=True, userdata=None, count=1,
               root_size=None, hibernation=None, iam_profile=None, expect_ok=True):
        """The wizard click by click: returns the instance ids launched, or (expect_ok False)
        the field the error is shown next to and its text."""
        self.open_launch()
        if name is not None:
            self.find("#launch-name").send_keys(name)
        self.click("#ami-quick-start" if ami_source == "quick-start" else "#ami-mine")
        cards = self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, ".ami-card label") or False,
                          message="no AMI listed")
        if ami_name:
            [c for c in cards if c.text.startswith(ami_name)][0].click()
        else:
            cards[0].click()
        Select(self.find("#instance-type")).select_by_value(instance_type)
        Select(self.find("#key-pair")).select_by_visible_text(
            key_pair or "Proceed without a key pair (Not recommended)")
        self.click("#fw-create")
        for box, want in (("#allow-ssh", ssh), ("#allow-https", https), ("#allow-http", http)):
            el = self.find(box)
            if el.is_selected() != want:
                el.click()
        if root_size is not None:
            el = self.find("#root-size")
            el.clear()
            el.send_keys(str(root_size))
        if userdata or hibernation or iam_profile:
            self.click("#advanced summary")
        if hibernation:
            Select(self.find("#hibernation")).select_by_visible_text(hibernation)
        if iam_profile:
            Select(self.find("#iam-profile")).select_by_visible_text(iam_profile)
        if userdata:
            self.find("#user-data-file").send_keys(os.path.abspath(userdata))
            self.wait(lambda d: d.find_element(By.ID, "user-data").get_attribute("value") or False,
                      message="the user data file was not read")
        el = self.find("#instance-count")
        el.clear()
        el.send_keys(str(count))
        self.click("#launch")
        if not expect_ok:
            err = self.wait(lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, "[data-error-for]")
                                            if e.text), False), message="no error shown")
            return err.get_attribute("data-error-for"), err.text
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#launch-success .launched-id") or self.errors(),
                  60, "the launch neither succeeded nor failed")
        if self.errors():
            raise AssertionError(f"the launch failed: {self.errors()}")
        return [a.text for a in self.d.find_elements(By.CSS_SELECTOR, "#launch-success .launched-id")]

    def errors(self):
        """The errors shown next to the fields (field: text)."""
        return {e.get_attribute("data-error-for"): e.text
                for e in self.d.find_elements(By.CSS_SELECTOR, "[data-error-for]") if e.text}

    def launch_demo(self, userdata, name="employee directory app", iam_profile=None):
        """The course's demo: name, Quick Start AMI, t2.micro, proceed without a key pair, a
        new security group with HTTP and HTTPS but no SSH, the IAM instance profile (when
        given), the user data uploaded."""
        ids = self.launch(name=name, ami_source="quick-start", ami_name="debian-12", instance_type="t2.micro",
                          ssh=False, https=True, http=True, userdata=userdata, iam_profile=iam_profile)
        self.click("#view-instances")
        self.find("#instances-table table")
        return ids[0]

    # --- the Instances page -----------------------------------------------------------------
    def open_instances(self):
        self.go("#/instances")
        self.find("#instances-table table")

    def row(self, iid):
        return self.find(f'#instances-table tr[data-key="{iid}"]')

    def cell(self, iid, css):
        try:
            return self.d.find_element(By.CSS_SELECTOR, f'#instances-table tr[data-key="{iid}"] {css}').text
        except Exception:
            return ""

    def state(self, iid):
        return self.cell(iid, ".state")

    def wait_state(self, iid, state, timeout=120):
        want = state[0].upper() + state[1:]
        self.wait(lambda d: self.state(iid) == want, timeout, f"{iid} never showed {want}")

    def wait_checks(self, iid, text="2/2 checks passed", timeout=600):
        self.wait(lambda d: self.cell(iid, ".checks") == text, timeout, f"{iid} never showed {text}")

    def public_ip(self, iid):
        return self.cell(iid, ".public-ip")

    def checked(self, iid):
        return self.d.execute_script(
            "const b = document.querySelector(`#instances-table tr[data-key='${arguments[0]}'] input[type=checkbox]`);"
            "return b ? b.checked : null", iid)

    def only(self, iid):
        """Selects iid's row alone (the table is redrawn by every poll: each click is retried
        on a fresh element until the page shows it took)."""
        def step(d):
            try:
                for box in d.find_elements(By.CSS_SELECTOR, "#instances-table td.check input:checked"):
                    if box.find_element(By.XPATH, "ancestor::tr").get_attribute("data-key") != iid:
                        box.click()
                if not self.checked(iid):
                    d.find_element(By.CSS_SELECTOR, f'#instances-table tr[data-key="{iid}"] input[type=checkbox]').click()
            except (StaleElementReferenceException, NoSuchElementException):
                return False
            return self.checked(iid) and len(d.find_elements(By.CSS_SELECTOR, "#instances-table td.check input:checked")) == 1
        self.wait(step, message=f"cannot select {iid} alone")

    def instance_action(self, iid, action, confirm=True):
        """Instance state > action (stop, start, reboot, hibernate, terminate) on iid alone;
        returns the confirmation dialog's title (or None: Start asks none) and the flash."""
        self.only(iid)
        # The messages already shown are marked, to wait for the action's own.
        self.d.execute_script("document.querySelectorAll('#flash .flash').forEach((f) => f.dataset.seen = '1')")
        self.click("details.menu:nth-of-type(1) > summary")
        self.click(f"#action-{action}")
        title = None
        if action != "start":
            title = self.text("#modal-title")
            if not confirm:
                self.click(".modal button.cancel")
                return title, None
            self.click(".modal .modal-buttons button:last-child")
        flash = self.wait(lambda d: next((e.find_element(By.CSS_SELECTOR, ".flash-text").text
                                          for e in d.find_elements(By.CSS_SELECTOR, "#flash .flash:not([data-seen])")
                                          if iid in e.text), False), message=f"no flash for {action}")
        return title, flash

    def dialog(self, action_css, menu="Actions"):
        """Opens a dialog from a toolbar menu's item; returns the dialog's text."""
        self.click(f"details.menu:nth-of-type({1 if menu == 'Instance state' else 2}) > summary")
        self.click(action_css)
        return self.find(".modal").text

    def close_dialog(self):
        self.click(".modal button.cancel")
        self.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, ".overlay"), message="the dialog stayed")

    def open_monitoring(self, iid):
        self.only(iid)
        self.click("#tabbtn-monitoring")
        # Five signed GetMetricStatistics one after the other: generous on a loaded machine.
        self.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#charts figure[data-points]")) == 5,
                  max(self.timeout, 90), "the charts were not drawn")
        return {f.get_attribute("data-metric"): int(f.get_attribute("data-points"))
                for f in self.d.find_elements(By.CSS_SELECTOR, "#charts figure")}

    def screenshot(self, path):
        self.d.save_screenshot(path)
