#!/bin/bash
# The Employee Directory, the course's demo app, as one user-data script (debian-12 AMI).
# It needs no network at boot: the AMI carries python3 and Flask. It writes the app, runs it as
# a systemd service on port 80 and enables it, so it comes back after a stop and start with its
# data: records in SQLite and photos on the instance's disk. With the course's switches set
# (PHOTOS_BUCKET=bucket, DYNAMO_MODE=on, AWS_DEFAULT_REGION) it keeps them in S3 and DynamoDB
# instead, through boto3, as the original does.
#   ec2-lite run-instances --image-id AMI --instance-type t2.micro \
#     --security-group-ids SG-WITH-PORT-80 --user-data file://userdata/employee-directory.sh
set -eu
APP=/opt/employee-directory
DATA=/var/lib/employee-directory
mkdir -p "$APP" "$DATA/photos"

cat > "$APP/application.py" <<'PY'
"""Employee Directory: the AWS course's Flask demo, with local storage by default."""
import os
import socket
import sqlite3
import uuid

from flask import (Flask, abort, g, redirect, render_template_string, request,
                   send_from_directory, url_for)

DATA = os.environ.get("DATA_DIR", "/var/lib/employee-directory")
PHOTOS_BUCKET = os.environ.get("PHOTOS_BUCKET", "")
DYNAMO_MODE = os.environ.get("DYNAMO_MODE", "") == "on"
TABLE = os.environ.get("DYNAMO_TABLE", "Employees")
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")


app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 8 * 1024 * 1024


# ---- records: SQLite here, DynamoDB with DYNAMO_MODE=on ----
def db():
    if "db" not in g:
        g.db = sqlite3.connect(os.path.join(DATA, "employees.db"))
        g.db.row_factory = sqlite3.Row
        g.db.execute("CREATE TABLE IF NOT EXISTS employee (id TEXT PRIMARY KEY,"
                     " full_name TEXT, location TEXT, job_title TEXT, object_key TEXT)")
    return g.db


@app.teardown_appcontext
def close_db(_exc):
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def dynamo():
    import boto3  # only in DynamoDB mode
    return boto3.resource("dynamodb", region_name=REGION).Table(TABLE)


def list_employees():
    if DYNAMO_MODE:
        return sorted(dynamo().scan().get("Items", []), key=lambda e: e["full_name"].lower())
    rows = db().execute("SELECT * FROM employee ORDER BY full_name COLLATE NOCASE")
    return [dict(r) for r in rows]


def load_employee(employee_id):
    if DYNAMO_MODE:
        return dynamo().get_item(Key={"id": employee_id}).get("Item")
    row = db().execute("SELECT * FROM employee WHERE id = ?", (employee_id,)).fetchone()
    return dict(row) if row else None


def save_employee(e):
    if DYNAMO_MODE:
        dynamo().put_item(Item=e)
        return
    db().execute("INSERT OR REPLACE INTO employee VALUES (?, ?, ?, ?, ?)",
                 (e["id"], e["full_name"], e["location"], e["job_title"], e["object_key"]))
    db().commit()


def delete_employee(employee_id):
    if DYNAMO_MODE:
        dynamo().delete_item(Key={"id": employee_id})
        return
    db().execute("DELETE FROM employee WHERE id = ?", (employee_id,))
    db().commit()


# ---- photos: the instance's disk here, S3 with PHOTOS_BUCKET ----
def s3():
    import boto3  # only in S3 mode
    return boto3.client("s3", region_name=REGION)


def image_kind(data):
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def store_photo(upload):
    data = upload.read()
    kind = image_kind(data)
    if not kind:
        abort(400, "the photo must be a JPEG, PNG, GIF or WebP image")
    key = "employee_pic/%s.%s" % (uuid.uuid4().hex, kind)
    if PHOTOS_BUCKET:
        s3().put_object(Bucket=PHOTOS_BUCKET, Key=key, Body=data)
    else:
        with open(os.path.join(DATA, "photos", os.path.basename(key)), "wb") as f:
            f.write(data)
    return key


def drop_photo(key):
    if not key:
        return
    if PHOTOS_BUCKET:
        s3().delete_object(Bucket=PHOTOS_BUCKET, Key=key)
    else:
        try:
            os.remove(os.path.join(DATA, "photos", os.path.basename(key)))
        except FileNotFoundError:
            pass


def photo_url(key):
    if not key:
        return None
    if PHOTOS_BUCKET:
        return s3().generate_presigned_url("get_object", ExpiresIn=3600,
                                           Params={"Bucket": PHOTOS_BUCKET, "Key": key})
    return url_for("photo", name=os.path.basename(key))


# ---- pages ----
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Employee Directory</title>
<style>
body{font-family:sans-serif;margin:0;background:#f4f6f8;color:#232f3e}
header{background:#232f3e;color:#fff;padding:.8em 1.5em;display:flex;justify-content:space-between}
header a{color:#ff9900;text-decoration:none}main{padding:1.5em;max-width:60em}
table{border-collapse:collapse;width:100%;background:#fff}td,th{padding:.5em;border-bottom:1px solid #ddd;text-align:left}
img.photo{width:64px;height:64px;object-fit:cover;border-radius:50%}
form.inline{display:inline}label{display:block;margin-top:.8em}input[type=text]{width:20em}
.button{background:#ff9900;border:0;padding:.5em 1em;color:#232f3e;cursor:pointer;text-decoration:none}
footer{color:#777;font-size:.8em;padding:1em 1.5em}
</style></head><body>
<header><a href="/"><b>Employee Directory</b></a><a href="/add" id="add">Add employee</a></header>
<main>{% block body %}{% endblock %}</main>
<footer>Served by {{ host }}</footer></body></html>"""

HOME = """{% extends page %}{% block body %}
{% if employees %}<table id="employees">
<tr><th></th><th>Name</th><th>Location</th><th>Job title</th><th></th></tr>
{% for e in employees %}<tr class="employee">
<td>{% if e.url %}<img class="photo" src="{{ e.url }}" alt="photo of {{ e.full_name }}">{% endif %}</td>
<td class="name">{{ e.full_name }}</td><td>{{ e.location }}</td><td>{{ e.job_title }}</td>
<td><a href="/edit/{{ e.id }}">edit</a>
<form class="inline" method="post" action="/employee/{{ e.id }}/delete">
<button class="delete">delete</button></form></td></tr>{% endfor %}</table>
{% else %}<p id="empty">No employees yet. <a href="/add">Add the first one</a>.</p>{% endif %}
{% endblock %}"""

EDIT = """{% extends page %}{% block body %}
<h2>{{ "Edit" if e.id else "Add" }} employee</h2>
<form method="post" action="/save" enctype="multipart/form-data" id="employee-form">
<input type="hidden" name="id" value="{{ e.id or '' }}">
<label>Full name <input type="text" name="full_name" value="{{ e.full_name or '' }}" required></label>
<label>Location <input type="text" name="location" value="{{ e.location or '' }}"></label>
<label>Job title <input type="text" name="job_title" value="{{ e.job_title or '' }}"></label>
<label>Photo <input type="file" name="photo" accept="image/*"></label>
<p><button class="button" type="submit" id="save">Save</button> <a href="/">Cancel</a></p>
</form>{% endblock %}"""


def render(template, **kw):
    page = app.jinja_env.from_string(PAGE)  # "extends" takes a template object too
    return render_template_string(template, page=page, host=socket.gethostname(), **kw)


@app.route("/")
def home():
    employees = list_employees()
    for e in employees:
        e["url"] = photo_url(e.get("object_key"))
    return render(HOME, employees=employees)


@app.route("/add")
def add():
    return render(EDIT, e={})


@app.route("/edit/<employee_id>")
def edit(employee_id):
    e = load_employee(employee_id) or abort(404)
    return render(EDIT, e=e)


@app.route("/save", methods=["POST"])
def save():
    f = request.form
    if not f.get("full_name", "").strip():
        abort(400, "an employee needs a name")
    old = load_employee(f["id"]) if f.get("id") else None
    e = {"id": old["id"] if old else uuid.uuid4().hex,
         "full_name": f["full_name"].strip(), "location": f.get("location", "").strip(),
         "job_title": f.get("job_title", "").strip(),
         "object_key": old["object_key"] if old else ""}
    upload = request.files.get("photo")
    if upload and upload.filename:
        e["object_key"] = store_photo(upload)
        if old:
            drop_photo(old["object_key"])
    save_employee(e)
    return redirect(url_for("home"))


@app.route("/employee/<employee_id>/delete", methods=["POST"])
def delete(employee_id):
    e = load_employee(employee_id) or abort(404)
    drop_photo(e.get("object_key"))
    delete_employee(employee_id)
    return redirect(url_for("home"))


@app.route("/photos/<name>")
def photo(name):
    return send_from_directory(os.path.join(DATA, "photos"), name)


@app.route("/info")
def info():
    try:
        with open("/var/lib/cloud/data/instance-id") as f:
            iid = f.read().strip()
    except OSError:
        iid = "unknown"
    return {"instance_id": iid, "hostname": socket.gethostname(),
            "photos": PHOTOS_BUCKET or "local", "records": "dynamodb" if DYNAMO_MODE else "sqlite"}


@app.route("/health")
def health():
    return "ok\n"
PY

cat > /etc/systemd/system/employee-directory.service <<UNIT
[Unit]
Description=Employee Directory (Flask) on port 80
After=local-fs.target

[Service]
WorkingDirectory=$APP
Environment=DATA_DIR=$DATA
Environment=PHOTOS_BUCKET=${PHOTOS_BUCKET:-}
Environment=DYNAMO_MODE=${DYNAMO_MODE:-}
Environment=AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
Environment=FLASK_APP=application.py
ExecStart=/usr/bin/python3 -m flask run --host=0.0.0.0 --port=80
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now employee-directory.service
echo "employee-directory: installed; serving on port 80"
