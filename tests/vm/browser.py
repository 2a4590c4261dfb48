"""Drives the Employee Directory in headless Chromium through chromedriver (Selenium, Debian's
python3-selenium), as a user would: open the page, click "Add employee", fill the form, choose a
photo, save, reload, and see the employee with the photo loaded. Prints one line per step and
exits 1 on the first failure (with a screenshot beside SCREENSHOT).

Usage: browser.py add URL NAME PHOTO SCREENSHOT
       browser.py check URL NAME SCREENSHOT     (the employee is listed, their photo loads)
       browser.py empty URL SCREENSHOT          (the page renders, no employee yet)
       browser.py photo PATH                    (writes a 64x64 PNG to upload)
"""
import struct
import sys
import tempfile
import zlib

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait


def browser(profile):
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run",
                 "--window-size=1200,900", "--user-data-dir=" + profile):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def step(what):
    print("browser: " + what, flush=True)


def employee_row(drv, name):
    for row in drv.find_elements(By.CSS_SELECTOR, "tr.employee"):
        if row.find_element(By.CSS_SELECTOR, "td.name").text == name:
            return row
    return None


def photo_loaded(drv, row):
    img = row.find_element(By.CSS_SELECTOR, "img.photo")
    return drv.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth > 0", img)


def write_png(path, size=64):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    rows = b"".join(b"\x00" + bytes(v for x in range(size) for v in (x * 4, y * 4, 160))
                    for y in range(size))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


def main(argv):
    if argv[1] == "photo":
        write_png(argv[2])
        return 0
    mode, url = argv[1], argv[2]
    shot = argv[-1]
    with tempfile.TemporaryDirectory() as profile:
        drv = browser(profile)
        drv.set_page_load_timeout(60)
        try:
            drv.get(url)
            WebDriverWait(drv, 30).until(ec.title_is("Employee Directory"))
            step("the directory page renders (title %r)" % drv.title)
            if mode == "empty":
                assert drv.find_elements(By.ID, "empty"), "the directory is not empty"
                step("no employee yet")
            elif mode == "add":
                name, photo = argv[3], argv[4]
                drv.find_element(By.ID, "add").click()
                WebDriverWait(drv, 30).until(ec.presence_of_element_located((By.ID, "employee-form")))
                step("the form opens")
                drv.find_element(By.NAME, "full_name").send_keys(name)
                drv.find_element(By.NAME, "location").send_keys("Seattle, WA")
                drv.find_element(By.NAME, "job_title").send_keys("Cloud Engineer")
                drv.find_element(By.NAME, "photo").send_keys(photo)
                drv.find_element(By.ID, "save").click()
                WebDriverWait(drv, 30).until(ec.presence_of_element_located((By.ID, "employees")))
                step("saved; back on the directory")
                drv.refresh()
                WebDriverWait(drv, 30).until(ec.presence_of_element_located((By.ID, "employees")))
                row = employee_row(drv, name)
                assert row is not None, "%s is not listed after a reload" % name
                assert "Cloud Engineer" in row.text, "the job title is missing: %r" % row.text
                WebDriverWait(drv, 30).until(lambda d: photo_loaded(d, employee_row(d, name)))
                step("after a reload %s is listed with the photo" % name)
            elif mode == "check":
                name = argv[3]
                row = employee_row(drv, name)
                assert row is not None, "%s is not listed" % name
                WebDriverWait(drv, 30).until(lambda d: photo_loaded(d, employee_row(d, name)))
                step("%s is listed with the photo" % name)
            drv.save_screenshot(shot)
        except Exception as e:  # report, keep the evidence, fail
            print("browser: FAILED: %s" % (e,), flush=True)
            try:
                drv.save_screenshot(shot)
                print(drv.page_source[:2000])
            except Exception:
                pass
            return 1
        finally:
            drv.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
