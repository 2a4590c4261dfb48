/* Reservations: what the launches and starts under way (their launchers at work, see journal.h)
 * hold that libvirt does not show yet, so that a capacity decision, taken under the store's
 * "launch" lock while those launches define and start their domains beside it, counts them. */
#ifndef EC2LITE_RESERVE_H
#define EC2LITE_RESERVE_H

#include "ec2lite/ec2.h"

/* Adds to *undefined (may be NULL) the instances of launches under way that have no domain yet
 * (the instance limit), and to *mib (may be NULL) the memory of those whose domain is not running
 * yet (capacity). Read before libvirt's own listing: an instance whose domain appears between
 * the two is counted twice, which errs on the safe side, never not at all. */
void reserve_pending(struct ec2_ctx *ctx, long *undefined, long *mib);

#endif
