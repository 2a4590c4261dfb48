/* The IMDS daemon: the instance metadata service's front end (see include/ec2lite/imdsnet.h for
 * how guests reach it, include/ec2lite/imds.h for what it answers, docs/IMDS.md for both). */
#ifndef EC2LITE_IMDS_DAEMON_H
#define EC2LITE_IMDS_DAEMON_H

#include "ec2lite/config.h"

/* Serves <state-dir>/imds.sock until no instance of the state folder has run for a while, or the
 * folder is gone: each connection comes from `ec2-lite imds-relay` run by an instance's QEMU
 * (root or QEMU's user, checked with SO_PEERCRED), which names the instance in its first line;
 * what follows is the guest's HTTP. Returns 0 when another daemon already serves the folder. */
int imds_daemon_main(const struct ec2_config *cfg);

#endif
