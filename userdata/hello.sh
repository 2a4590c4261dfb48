#!/bin/sh
# A first user-data script: runs once, on the instance's first boot, as root. Its output goes to
# the serial console (ec2-lite get-console-output --instance-id ID shows it).
echo "Hello from user-data on $(hostname)"
echo "Kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPU(s), $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) MiB"
echo "First booted at $(date -u)" > /root/first-boot
