#!/bin/sh
# The course's first web server: a static page on port 80 that says which instance served it.
# Works on both AMIs: debian-12 serves it with python3 under systemd (so it comes back after a
# stop and start), tiny with busybox httpd (tiny runs user-data on the first boot only, and its
# per-boot scripts at every boot: the server is one of them, so it too comes back after a start).
#   ec2-lite run-instances --image-id AMI --security-group-ids SG-WITH-PORT-80 \
#     --user-data file://userdata/web-server.sh
set -eu
mkdir -p /var/www
host=$(hostname)
iid=$(cat /var/lib/cloud/data/instance-id 2> /dev/null || cat /var/lib/ec2-lite/instance-id 2> /dev/null || echo unknown)
cat > /var/www/index.html <<HTML
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hello from $iid</title></head>
<body style="font-family: sans-serif">
<h1>Hello from $iid</h1>
<p>Served by <b>$host</b>, set up by its user-data on $(date -u).</p>
</body></html>
HTML
if [ -d /run/systemd/system ]; then
	cat > /etc/systemd/system/web-server.service <<UNIT
[Unit]
Description=Static web server on port 80

[Service]
ExecStart=/usr/bin/python3 -m http.server 80 --directory /var/www
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
	systemctl daemon-reload
	systemctl enable --now web-server.service
else
	mkdir -p /var/lib/ec2-lite/per-boot
	printf '#!/bin/sh\npidof httpd > /dev/null || httpd -p 80 -h /var/www\n' \
		> /var/lib/ec2-lite/per-boot/web-server
	chmod 755 /var/lib/ec2-lite/per-boot/web-server
	/var/lib/ec2-lite/per-boot/web-server
fi
echo "web-server: serving /var/www on port 80"
