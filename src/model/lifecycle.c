/* The instance state machine in tables (see include/ec2lite/lifecycle.h for the vocabulary).
 *
 * Read it as four tables, top to bottom:
 *   1. cond_table: what libvirt says (rows) x the op under way (columns) -> the condition;
 *   2. cond_info: each condition's EC2 state;
 *   3. settle_table: libvirt x op -> what the reconcile pass does to finish it;
 *   4. transitions: condition (rows) x action (columns) -> done (and the state it answers),
 *      nothing to do, or refused with EC2's message.
 * "Can X happen in state Y, and with which error?" is one cell of table 4. tests/check_lifecycle.c
 * walks every cell, against a real instance on libvirt's test driver where one can be made. */
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <string.h>

#include "ec2lite/lifecycle.h"

const char *ec2_state_name(enum ec2_state s)
{
	switch (s) {
	case EC2_PENDING:
		return "pending";
	case EC2_RUNNING:
		return "running";
	case EC2_SHUTTING_DOWN:
		return "shutting-down";
	case EC2_TERMINATED:
		return "terminated";
	case EC2_STOPPING:
		return "stopping";
	case EC2_STOPPED:
		return "stopped";
	}
	return "unknown";
}

static const char *const op_names[EC2_OP_COUNT] = {
	[EC2_OP_NONE] = "",
	[EC2_OP_STOP] = "stop",
	[EC2_OP_IMAGE] = "image",
	[EC2_OP_IMAGE_REBOOT] = "image-reboot",
	[EC2_OP_IMAGE_LIVE] = "image-live",
};

const char *ec2_op_name(enum ec2_op op)
{
	return op >= 0 && op < EC2_OP_COUNT ? op_names[op] : "";
}

enum ec2_op ec2_op_parse(const char *name)
{
	int op;

	for (op = EC2_OP_STOP; name && op < EC2_OP_COUNT; op++)
		if (strcmp(name, op_names[op]) == 0)
			return (enum ec2_op)op;
	return EC2_OP_NONE;
}

enum ec2_vm ec2_vm_of(int virstate)
{
	switch (virstate) {
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED:
	case VIR_DOMAIN_PAUSED:
	case VIR_DOMAIN_PMSUSPENDED:
		return EC2_VM_ACTIVE;
	case VIR_DOMAIN_SHUTDOWN:
		return EC2_VM_SHUTDOWN;
	default:
		return EC2_VM_OFF;
	}
}

/* ---- 1. libvirt x op -> condition ---- */

#define R EC2_COND_RUNNING
#define RL EC2_COND_RUNNING_IMAGE_LIVE
#define RR EC2_COND_RUNNING_IMAGE_REBOOT
#define SG EC2_COND_STOPPING
#define SGI EC2_COND_STOPPING_IMAGE
#define S EC2_COND_STOPPED
#define SI EC2_COND_STOPPED_IMAGE
#define T EC2_COND_TERMINATED

static const enum ec2_cond cond_table[EC2_VM_COUNT][EC2_OP_COUNT] = {
	/*                  none  stop  image  image-reboot  image-live */
	[EC2_VM_GONE] =     { T,   T,    T,     T,            T },
	[EC2_VM_ACTIVE] =   { R,   SG,   RL,    RR,           RL },
	[EC2_VM_SHUTDOWN] = { SG,  SG,   SGI,   RR,           SGI },
	[EC2_VM_OFF] =      { S,   S,    SI,    RR,           SI },
};
/* Notes on the cells: a domain that runs while the image of a stopped instance is made (started
 * behind ec2-lite's back) is treated as a live copy. CreateImage's reboot shows the instance
 * running all through, as EC2 does, while its guest is down for the copy. A stop that ended is
 * "stopped" before the reconcile pass clears its op. */

#undef R
#undef RL
#undef RR
#undef SG
#undef SGI
#undef S
#undef SI
#undef T

/* ---- 2. the conditions ---- */

static const struct {
	enum ec2_state state;
	const char *name;
} cond_info[EC2_COND_COUNT] = {
	[EC2_COND_RUNNING] = { EC2_RUNNING, "running" },
	[EC2_COND_RUNNING_IMAGE_LIVE] = { EC2_RUNNING, "running, image-live" },
	[EC2_COND_RUNNING_IMAGE_REBOOT] = { EC2_RUNNING, "running, image-reboot" },
	[EC2_COND_STOPPING] = { EC2_STOPPING, "stopping" },
	[EC2_COND_STOPPING_IMAGE] = { EC2_STOPPING, "stopping, image" },
	[EC2_COND_STOPPED] = { EC2_STOPPED, "stopped" },
	[EC2_COND_STOPPED_IMAGE] = { EC2_STOPPED, "stopped, image" },
	[EC2_COND_TERMINATED] = { EC2_TERMINATED, "terminated" },
};

/* A row and column of tables 1 and 3 for any vm and op: what no table has is "off", "none". */
static void in_range(enum ec2_vm *vm, enum ec2_op *op)
{
	if (*vm < 0 || *vm >= EC2_VM_COUNT)
		*vm = EC2_VM_OFF;
	if (*op < 0 || *op >= EC2_OP_COUNT)
		*op = EC2_OP_NONE;
}

enum ec2_cond ec2_cond_of(enum ec2_vm vm, enum ec2_op op)
{
	in_range(&vm, &op);
	return cond_table[vm][op];
}

enum ec2_state ec2_cond_state(enum ec2_cond c)
{
	return c >= 0 && c < EC2_COND_COUNT ? cond_info[c].state : EC2_STOPPED;
}

const char *ec2_cond_name(enum ec2_cond c)
{
	return c >= 0 && c < EC2_COND_COUNT ? cond_info[c].name : "unknown";
}

/* ---- 3. libvirt x op -> the reconcile step ---- */

#define NONE EC2_SETTLE_NONE
#define NET EC2_SETTLE_NETWORK
#define JOB EC2_SETTLE_IMAGE_JOB
#define WAIT EC2_SETTLE_STOP_WAIT
#define OFF EC2_SETTLE_STOPPED

static const enum ec2_settle settle_table[EC2_VM_COUNT][EC2_OP_COUNT] = {
	/*                  none  stop  image  image-reboot  image-live */
	[EC2_VM_GONE] =     { NONE, NONE, NONE, NONE,         NONE },
	[EC2_VM_ACTIVE] =   { NET,  WAIT, JOB,  JOB,          JOB },
	[EC2_VM_SHUTDOWN] = { NONE, WAIT, JOB,  JOB,          JOB },
	[EC2_VM_OFF] =      { OFF,  OFF,  JOB,  JOB,          JOB },
};

#undef NONE
#undef NET
#undef JOB
#undef WAIT
#undef OFF

enum ec2_settle ec2_settle_of(enum ec2_vm vm, enum ec2_op op)
{
	in_range(&vm, &op);
	return settle_table[vm][op];
}

const char *ec2_settle_name(enum ec2_settle s)
{
	static const char *const names[EC2_SETTLE_COUNT] = {
		[EC2_SETTLE_NONE] = "none",         [EC2_SETTLE_NETWORK] = "network",
		[EC2_SETTLE_IMAGE_JOB] = "image-job", [EC2_SETTLE_STOP_WAIT] = "stop-wait",
		[EC2_SETTLE_STOPPED] = "stopped",
	};

	return s >= 0 && s < EC2_SETTLE_COUNT ? names[s] : "unknown";
}

/* ---- 4. condition x action -> transition ---- */

static const char *const verb_names[EC2_VERB_COUNT] = {
	[EC2_VERB_START] = "start",         [EC2_VERB_STOP] = "stop",
	[EC2_VERB_STOP_FORCE] = "stop --force", [EC2_VERB_HIBERNATE] = "stop --hibernate",
	[EC2_VERB_REBOOT] = "reboot",       [EC2_VERB_TERMINATE] = "terminate",
	[EC2_VERB_CREATE_IMAGE] = "create-image",
};

const char *ec2_verb_name(enum ec2_verb v)
{
	return v >= 0 && v < EC2_VERB_COUNT ? verb_names[v] : "unknown";
}

/* EC2's messages (IncorrectInstanceState), and ours where EC2 has no such case. */
#define NOT_START "The instance '{id}' is not in a state from which it can be started."
#define IMAGING_START "The instance '{id}' cannot be started while an image of it is made ({image})."
#define NOT_STOP "This instance '{id}' is not in a state from which it can be stopped."
#define IMAGING_STOP "The instance '{id}' is rebooting for an image of it ({image}); try again " \
	"when it is done."
#define NOT_REBOOT "The instance '{id}' is not in a state from which it can be rebooted."
#define NOT_IMAGE "The instance '{id}' is not in a state from which an image can be made: it " \
	"must be running or stopped."
#define GONE_IMAGE "The instance '{id}' is terminated"
#define IMAGING_IMAGE "The instance '{id}' is not in a state from which an image can be made: " \
	"it must be running or stopped, and an image of it is being made already: {image}."

#define DO(s) { EC2_DO, EC2_##s, NULL }
#define KEEP(s) { EC2_KEEP, EC2_##s, NULL }
#define NO(s, msg) { EC2_REFUSE, EC2_##s, msg }

static const struct ec2_transition transitions[EC2_COND_COUNT][EC2_VERB_COUNT] = {
	[EC2_COND_RUNNING] = {
		[EC2_VERB_START] = KEEP(RUNNING),
		[EC2_VERB_STOP] = DO(STOPPING),
		[EC2_VERB_STOP_FORCE] = DO(STOPPING),
		[EC2_VERB_HIBERNATE] = DO(STOPPING),
		[EC2_VERB_REBOOT] = DO(RUNNING),
		[EC2_VERB_TERMINATE] = DO(SHUTTING_DOWN),
		[EC2_VERB_CREATE_IMAGE] = DO(RUNNING),
	},
	[EC2_COND_RUNNING_IMAGE_LIVE] = {
		[EC2_VERB_START] = KEEP(RUNNING),
		[EC2_VERB_STOP] = DO(STOPPING),
		[EC2_VERB_STOP_FORCE] = DO(STOPPING),
		[EC2_VERB_HIBERNATE] = DO(STOPPING),
		[EC2_VERB_REBOOT] = DO(RUNNING),
		[EC2_VERB_TERMINATE] = DO(SHUTTING_DOWN),
		[EC2_VERB_CREATE_IMAGE] = NO(RUNNING, IMAGING_IMAGE),
	},
	[EC2_COND_RUNNING_IMAGE_REBOOT] = {
		[EC2_VERB_START] = NO(RUNNING, IMAGING_START),
		[EC2_VERB_STOP] = NO(RUNNING, IMAGING_STOP),
		[EC2_VERB_STOP_FORCE] = NO(RUNNING, IMAGING_STOP),
		[EC2_VERB_HIBERNATE] = NO(RUNNING, IMAGING_STOP),
		[EC2_VERB_REBOOT] = NO(RUNNING, NOT_REBOOT),
		[EC2_VERB_TERMINATE] = DO(SHUTTING_DOWN),
		[EC2_VERB_CREATE_IMAGE] = NO(RUNNING, IMAGING_IMAGE),
	},
	[EC2_COND_STOPPING] = {
		[EC2_VERB_START] = NO(STOPPING, NOT_START),
		[EC2_VERB_STOP] = KEEP(STOPPING),
		[EC2_VERB_STOP_FORCE] = DO(STOPPING), /* powers the VM off now */
		[EC2_VERB_HIBERNATE] = KEEP(STOPPING),
		[EC2_VERB_REBOOT] = NO(STOPPING, NOT_REBOOT),
		[EC2_VERB_TERMINATE] = DO(SHUTTING_DOWN),
		[EC2_VERB_CREATE_IMAGE] = NO(STOPPING, NOT_IMAGE),
	},
	[EC2_COND_STOPPING_IMAGE] = {
		[EC2_VERB_START] = NO(STOPPING, NOT_START),
		[EC2_VERB_STOP] = KEEP(STOPPING),
		[EC2_VERB_STOP_FORCE] = DO(STOPPING),
		[EC2_VERB_HIBERNATE] = KEEP(STOPPING),
		[EC2_VERB_REBOOT] = NO(STOPPING, NOT_REBOOT),
		[EC2_VERB_TERMINATE] = DO(SHUTTING_DOWN),
		[EC2_VERB_CREATE_IMAGE] = NO(STOPPING, IMAGING_IMAGE),
	},
	[EC2_COND_STOPPED] = {
		[EC2_VERB_START] = DO(PENDING),
		[EC2_VERB_STOP] = KEEP(STOPPED),
		[EC2_VERB_STOP_FORCE] = KEEP(STOPPED),
		[EC2_VERB_HIBERNATE] = KEEP(STOPPED),
		[EC2_VERB_REBOOT] = NO(STOPPED, NOT_REBOOT),
		[EC2_VERB_TERMINATE] = DO(SHUTTING_DOWN),
		[EC2_VERB_CREATE_IMAGE] = DO(STOPPED),
	},
	[EC2_COND_STOPPED_IMAGE] = {
		[EC2_VERB_START] = NO(STOPPED, IMAGING_START),
		[EC2_VERB_STOP] = KEEP(STOPPED),
		[EC2_VERB_STOP_FORCE] = KEEP(STOPPED),
		[EC2_VERB_HIBERNATE] = KEEP(STOPPED),
		[EC2_VERB_REBOOT] = NO(STOPPED, NOT_REBOOT),
		[EC2_VERB_TERMINATE] = DO(SHUTTING_DOWN),
		[EC2_VERB_CREATE_IMAGE] = NO(STOPPED, IMAGING_IMAGE),
	},
	[EC2_COND_TERMINATED] = {
		[EC2_VERB_START] = NO(TERMINATED, NOT_START),
		[EC2_VERB_STOP] = NO(TERMINATED, NOT_STOP),
		[EC2_VERB_STOP_FORCE] = NO(TERMINATED, NOT_STOP),
		[EC2_VERB_HIBERNATE] = NO(TERMINATED, NOT_STOP),
		[EC2_VERB_REBOOT] = NO(TERMINATED, NOT_REBOOT),
		[EC2_VERB_TERMINATE] = KEEP(TERMINATED),
		[EC2_VERB_CREATE_IMAGE] = NO(TERMINATED, GONE_IMAGE),
	},
};

#undef DO
#undef KEEP
#undef NO

const struct ec2_transition *ec2_transition(enum ec2_cond c, enum ec2_verb verb)
{
	if (c < 0 || c >= EC2_COND_COUNT)
		c = EC2_COND_STOPPED;
	if (verb < 0 || verb >= EC2_VERB_COUNT)
		verb = EC2_VERB_START;
	return &transitions[c][verb];
}

int ec2_transition_check(const struct ec2_transition *t, const char *id, const char *image,
			 struct ec2_error *err)
{
	char msg[sizeof(err->message)];
	const char *p;
	size_t n = 0;

	if (t->effect != EC2_REFUSE)
		return 0;
	/* The message's {id} and {image} filled in (no printf format from a table). */
	for (p = t->message; *p && n + 1 < sizeof(msg);) {
		const char *with = NULL;
		size_t skip = 0;

		if (strncmp(p, "{id}", 4) == 0) {
			with = id ? id : "";
			skip = 4;
		} else if (strncmp(p, "{image}", 7) == 0) {
			with = image ? image : "";
			skip = 7;
		}
		if (!with) {
			msg[n++] = *p++;
			continue;
		}
		while (*with && n + 1 < sizeof(msg))
			msg[n++] = *with++;
		p += skip;
	}
	msg[n] = '\0';
	ec2_error_set(err, EC2_ERR_INCORRECT_STATE, "%s", msg);
	return -1;
}
