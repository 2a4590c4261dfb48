/* The libvirt connection and the choice of accelerator.
 *
 * KVM is used only where it really works. "auto" picks TCG when /dev/kvm is missing or not
 * usable, when the KVM module is PVM (a nested paravirtual KVM on which stock guest kernels run
 * far slower than on TCG), and otherwise boots one tiny guest under each and keeps the faster;
 * that verdict is cached in <state-dir>/accelerator.json. */
#ifndef EC2LITE_CONN_H
#define EC2LITE_CONN_H

#include <libvirt/libvirt.h>
#include <stdbool.h>

#include "ec2lite/config.h"
#include "ec2lite/error.h"

enum ec2_accel {
	EC2_ACCEL_TCG,
	EC2_ACCEL_KVM,
};

struct ec2_accel_info {
	enum ec2_accel accel;
	char reason[256]; /* why, in a sentence, for doctor and describe output */
	bool cached;      /* the probe's verdict was read from its cache: nothing was booted */
};

/* Opens uri. libvirt's own error printing is turned off: errors come back through err. */
virConnectPtr ec2_conn_open(const char *uri, struct ec2_error *err);

/* True for libvirt's test driver (no real guests, nothing on disk). */
bool ec2_conn_is_test(virConnectPtr conn);

/* Decides the accelerator for cfg (see above). Never fails: anything doubtful gives TCG. */
void ec2_accel_detect(const struct ec2_config *cfg, virConnectPtr conn,
		      struct ec2_accel_info *out);

/* The timing probe alone (what "auto" falls back to where neither rule above decides): boots a
 * 512-byte guest under KVM (with -cpu host, as KVM domains run) and under TCG, keeps the faster,
 * and caches the verdict in <state-dir>/accelerator.json keyed by host kernel and QEMU binary. */
void ec2_accel_probe(const struct ec2_config *cfg, struct ec2_accel_info *out);

const char *ec2_accel_name(enum ec2_accel a); /* "kvm" or "tcg" */

#endif
