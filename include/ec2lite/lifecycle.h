/* The instance state machine: EC2's instance states and transitions in two tables, read by every
 * action that changes an instance and by the reconcile pass that finishes what EC2 finishes in the
 * background (src/model/lifecycle.c holds the tables; this header is their vocabulary).
 *
 * An instance's EC2 state is not stored: it is derived from what libvirt says of its domain
 * (enum ec2_vm) and from the operation ec2-lite has under way on it (enum ec2_op, kept in the
 * domain's metadata). The pair is the instance's *condition* (enum ec2_cond); each condition has
 * one EC2 state, one reconcile step, and for each action (enum ec2_verb) one transition: done at
 * once with the state it leads to, answered with the state unchanged, or refused with EC2's
 * IncorrectInstanceState and its message. */
#ifndef EC2LITE_LIFECYCLE_H
#define EC2LITE_LIFECYCLE_H

#include "ec2lite/error.h"

/* EC2's instance states, with EC2's codes (InstanceState.Code). */
enum ec2_state {
	EC2_PENDING = 0,
	EC2_RUNNING = 16,
	EC2_SHUTTING_DOWN = 32,
	EC2_TERMINATED = 48,
	EC2_STOPPING = 64,
	EC2_STOPPED = 80,
};

/* EC2's name of a state ("pending", "running", ...). */
const char *ec2_state_name(enum ec2_state s);

/* The operation under way on an instance, in its domain's metadata (<pending-op>). */
enum ec2_op {
	EC2_OP_NONE,         /* nothing: libvirt's state says it all */
	EC2_OP_STOP,         /* StopInstances asked the guest to shut down; not done yet */
	EC2_OP_IMAGE,        /* CreateImage copies the disk of a stopped instance */
	EC2_OP_IMAGE_REBOOT, /* CreateImage shut the guest down to copy its disk; it restarts after */
	EC2_OP_IMAGE_LIVE,   /* CreateImage --no-reboot copies the disk of the running guest */
	EC2_OP_COUNT
};

/* The metadata's name of an op: "", "stop", "image", "image-reboot", "image-live". */
const char *ec2_op_name(enum ec2_op op);

/* The op a metadata name stands for; a name ec2-lite never wrote (or NULL) is EC2_OP_NONE. */
enum ec2_op ec2_op_parse(const char *name);

/* What libvirt says of an instance's domain, in the kinds the state machine tells apart. */
enum ec2_vm {
	EC2_VM_GONE,     /* no domain: the instance is terminated */
	EC2_VM_ACTIVE,   /* running, blocked, paused or suspended to RAM */
	EC2_VM_SHUTDOWN, /* the guest is shutting down */
	EC2_VM_OFF,      /* shut off, crashed, managed-saved, or a state libvirt cannot tell */
	EC2_VM_COUNT
};

/* libvirt's virDomainState (an int, so that this header needs no libvirt) as an ec2_vm; a
 * negative value (virDomainGetState failed) is EC2_VM_OFF. */
enum ec2_vm ec2_vm_of(int virstate);

/* An instance's condition: its EC2 state with the op that changes what may happen to it. */
enum ec2_cond {
	EC2_COND_RUNNING,              /* running */
	EC2_COND_RUNNING_IMAGE_LIVE,   /* running; CreateImage copies its disk while it runs */
	EC2_COND_RUNNING_IMAGE_REBOOT, /* running to EC2; shut down or off for CreateImage's copy */
	EC2_COND_STOPPING,             /* the guest shuts down (asked by StopInstances or not) */
	EC2_COND_STOPPING_IMAGE,       /* the guest shuts down while CreateImage copies its disk */
	EC2_COND_STOPPED,              /* stopped (a stop that ended but is not settled included) */
	EC2_COND_STOPPED_IMAGE,        /* stopped; CreateImage copies its disk */
	EC2_COND_TERMINATED,           /* no domain */
	EC2_COND_COUNT
};

/* The condition of an instance whose domain is vm with op under way (every pair has one). */
enum ec2_cond ec2_cond_of(enum ec2_vm vm, enum ec2_op op);

/* The condition's EC2 state, and its name for tables and tests ("running, image-live"). */
enum ec2_state ec2_cond_state(enum ec2_cond c);
const char *ec2_cond_name(enum ec2_cond c);

/* The actions that change an instance. */
enum ec2_verb {
	EC2_VERB_START,        /* StartInstances */
	EC2_VERB_STOP,         /* StopInstances */
	EC2_VERB_STOP_FORCE,   /* StopInstances --force */
	EC2_VERB_HIBERNATE,    /* StopInstances --hibernate */
	EC2_VERB_REBOOT,       /* RebootInstances */
	EC2_VERB_TERMINATE,    /* TerminateInstances */
	EC2_VERB_CREATE_IMAGE, /* CreateImage */
	EC2_VERB_COUNT
};

const char *ec2_verb_name(enum ec2_verb v); /* "start", "stop", "stop --force", ... */

enum ec2_effect {
	EC2_REFUSE, /* IncorrectInstanceState: nothing is done to any instance of the request */
	EC2_KEEP,   /* nothing to do: answered with the state unchanged */
	EC2_DO,     /* the action runs; the answer's CurrentState is `next` */
};

struct ec2_transition {
	enum ec2_effect effect;
	enum ec2_state next; /* EC2_DO: the state the answer gives; EC2_KEEP: the current one */
	/* EC2_REFUSE: the message, with "{id}" for the instance and "{image}" for the image being
	 * made of it; NULL otherwise. */
	const char *message;
};

/* The transition of verb in condition c (a cell of the table; never NULL). */
const struct ec2_transition *ec2_transition(enum ec2_cond c, enum ec2_verb verb);

/* When the transition refuses, fills err with IncorrectInstanceState and its message for the
 * instance id (image: the image being made of it, may be NULL) and returns -1; else returns 0
 * and leaves err untouched. */
int ec2_transition_check(const struct ec2_transition *t, const char *id, const char *image,
			 struct ec2_error *err);

/* The reconcile step for a domain in vm with op under way: what `settle` does on every pass to
 * finish what EC2 finishes in the background. */
enum ec2_settle {
	EC2_SETTLE_NONE,       /* nothing to finish */
	EC2_SETTLE_NETWORK,    /* running: its public IP and forwards must exist (a launch or start
				* cut short leaves them out) */
	EC2_SETTLE_IMAGE_JOB,  /* CreateImage's job: when it is over (or its worker died), the
				* instance is given back as it was (restarted after a reboot copy,
				* its block job aborted after a live one) and the op cleared */
	EC2_SETTLE_STOP_WAIT,  /* a stop under way: after the stop timeout the VM is powered off */
	EC2_SETTLE_STOPPED,    /* off: a stop that was asked is done (op cleared); an off nobody
				* asked for is decided: the guest's power-off (InstanceInitiatedShutdown,
				* or terminate by its shutdown behaviour), QEMU's death
				* (Server.InternalError), or a launch or start still under way */
	EC2_SETTLE_COUNT
};

enum ec2_settle ec2_settle_of(enum ec2_vm vm, enum ec2_op op);
const char *ec2_settle_name(enum ec2_settle s);

#endif
