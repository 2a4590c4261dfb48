#!/bin/sh
# Screenshots of the web console's main pages (Launch, Instances with an instance's details, its
# Monitoring tab) as PNGs in docs/console/, taken by tests/console/demo.py in headless Chromium
# against `ec2-lite serve` on libvirt's test driver (no VM): the course's demo, with --screenshots.
# Usage: scripts/console-screenshots.sh [PATH-TO-ec2-lite]   (default build/ec2-lite)
set -eu
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/ec2-lite}")
mkdir -p docs/console
sh tests/console/console.sh "$bin" demo --screenshots "$PWD/docs/console"
