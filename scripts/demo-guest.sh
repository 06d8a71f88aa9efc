#!/bin/sh
# What `make demo` shows inside the VM: mcrring.ko loading and /dev/mcrlog.
# Runs from the VM's /init; exits non-zero if any step fails.
set -e
step() { printf '\n$ %s\n' "$*"; "$@"; }

echo "== mcrring demo on $(uname -r), $(nproc) CPUs =="
step insmod /lib/modules/mcrring.ko mode=0660 group=1000
step ls -l /dev/mcrlog
step cat /sys/class/misc/mcrlog/dev
step grep . /sys/module/mcrring/parameters/mode /sys/module/mcrring/parameters/group
step sh -c 'dmesg | grep mcrring'
step rmmod mcrring
step sh -c '! test -e /dev/mcrlog && echo "/dev/mcrlog is gone after rmmod"'
