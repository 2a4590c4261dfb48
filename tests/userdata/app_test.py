"""The Employee Directory app of userdata/employee-directory.sh, on the host with Flask's test
client: the code the user-data script writes into the guest, exercised in seconds (the VM test
runs it for real in a browser). Run with Debian's python3 and python3-flask."""
import io
import os
import re
import sys
import tempfile
import unittest

SCRIPT = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "..", "userdata", "employee-directory.sh")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
       b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def load_app(data_dir):
    text = open(SCRIPT).read()
    source = re.search(r"<<'PY'\n(.*?)\nPY\n", text, re.S).group(1)
    os.environ["DATA_DIR"] = data_dir
    module = {"__name__": "application"}
    exec(compile(source, "application.py", "exec"), module)
    return module["app"]


class EmployeeDirectory(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        os.mkdir(os.path.join(self.dir.name, "photos"))
        self.client = load_app(self.dir.name).test_client()

    def tearDown(self):
        self.dir.cleanup()

    def add(self, name, photo=PNG, **more):
        form = {"full_name": name, "location": "Seattle", "job_title": "Engineer"}
        form.update(more)
        if photo is not None:
            form["photo"] = (io.BytesIO(photo), "me.png")
        return self.client.post("/save", data=form, content_type="multipart/form-data")

    def test_script_fits_user_data(self):
        self.assertLessEqual(os.path.getsize(SCRIPT), 16384)

    def test_empty_directory(self):
        page = self.client.get("/").get_data(as_text=True)
        self.assertIn("Employee Directory", page)
        self.assertIn('id="empty"', page)

    def test_add_with_photo_then_list(self):
        self.assertEqual(self.add("Ada Lovelace").status_code, 302)
        page = self.client.get("/").get_data(as_text=True)
        self.assertIn("Ada Lovelace", page)
        self.assertIn("Seattle", page)
        src = re.search(r'<img class="photo" src="([^"]+)"', page).group(1)
        self.assertEqual(self.client.get(src).data, PNG)

    def test_edit_keeps_photo_and_delete_removes_it(self):
        self.add("Grace Hopper")
        page = self.client.get("/").get_data(as_text=True)
        eid = re.search(r'href="/edit/([0-9a-f]+)"', page).group(1)
        form = self.client.get("/edit/" + eid).get_data(as_text=True)
        self.assertIn('value="Grace Hopper"', form)
        self.client.post("/save", data={"id": eid, "full_name": "Grace M. Hopper",
                                        "location": "Arlington", "job_title": "Admiral"})
        page = self.client.get("/").get_data(as_text=True)
        self.assertIn("Grace M. Hopper", page)
        self.assertNotIn(">Grace Hopper<", page)
        self.assertEqual(len(os.listdir(os.path.join(self.dir.name, "photos"))), 1)
        self.client.post("/employee/%s/delete" % eid)
        self.assertIn('id="empty"', self.client.get("/").get_data(as_text=True))
        self.assertEqual(os.listdir(os.path.join(self.dir.name, "photos")), [])

    def test_refuses_what_is_not_an_image(self):
        self.assertEqual(self.add("Mallory", photo=b"#!/bin/sh\nrm -rf /\n").status_code, 400)
        self.assertEqual(self.add("", photo=None).status_code, 400)
        self.assertEqual(self.client.get("/edit/nobody").status_code, 404)

    def test_info_says_where_data_lives(self):
        info = self.client.get("/info").get_json()
        self.assertEqual(info["photos"], "local")
        self.assertEqual(info["records"], "sqlite")


if __name__ == "__main__":
    unittest.main()
