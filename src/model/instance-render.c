/* Instances, rendering: EC2's Instance object and the small objects around it (State, StateReason,
 * the network interface, the state changes the Start/Stop/Terminate actions answer), in the member
 * order the aws CLI prints. Nothing here changes state. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ec2lite/eni.h"
#include "ec2lite/net.h"
#include "ec2lite/util.h"

#include "instance-internal.h"

json_object *state_obj(enum ec2_state s)
{
	json_object *o = json_object_new_object();

	json_add_int(o, "Code", s);
	json_add_str(o, "Name", ec2_state_name(s));
	return o;
}

static const char *reason_message(const char *code)
{
	static const struct {
		const char *code, *message;
	} table[] = {
		{ "Client.UserInitiatedShutdown", "Client.UserInitiatedShutdown: User initiated shutdown" },
		{ "Client.UserInitiatedHibernate", "Client.UserInitiatedHibernate: User initiated hibernate" },
		{ "Client.InstanceInitiatedShutdown",
		  "Client.InstanceInitiatedShutdown: Instance initiated shutdown" },
		{ "Server.ScheduledStop", "Server.ScheduledStop: Stopped due to scheduled retirement" },
		{ "Server.InternalError", "Server.InternalError: Internal error" },
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].code, code) == 0)
			return table[i].message;
	return code;
}

void user_reason(struct ec2_meta *m, const char *code)
{
	char now[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%d %H:%M:%S GMT", &tm);
	snprintf(m->transition_reason, sizeof(m->transition_reason), "User initiated (%s)", now);
	snprintf(m->state_reason, sizeof(m->state_reason), "%s", code);
}

json_object *block_devices_json(const struct ec2_meta *m)
{
	json_object *a = json_object_new_array(), *e = json_object_new_object(), *x;
	size_t i;

	json_add_str(e, "DeviceName", "/dev/xvda");
	x = json_object_new_object();
	json_add_str(x, "AttachTime", m->launch_time);
	json_add_bool(x, "DeleteOnTermination", !m->root_keep);
	json_add_str(x, "Status", "attached");
	json_add_str(x, "VolumeId", m->root_volume_id);
	json_object_object_add(e, "Ebs", x);
	json_object_array_add(a, e);
	/* The EBS volumes attached besides (volume.h). */
	for (i = 0; m->volumes && i < json_object_array_length(m->volumes); i++) {
		json_object *v = json_object_array_get_idx(m->volumes, i);

		e = json_object_new_object();
		json_add_str(e, "DeviceName", req_str0(v, "Device"));
		x = json_object_new_object();
		json_add_str(x, "AttachTime", req_str0(v, "AttachTime"));
		json_add_bool(x, "DeleteOnTermination", json_object_get_boolean(
			json_object_object_get(v, "DeleteOnTermination")));
		json_add_str(x, "Status", req_str0(v, "State"));
		json_add_str(x, "VolumeId", req_str0(v, "VolumeId"));
		json_object_object_add(e, "Ebs", x);
		json_object_array_add(a, e);
	}
	return a;
}


/* EC2's Instance object, in the member order the aws CLI prints. */
json_object *instance_json(struct ec2_ctx *ctx, const struct inst *in, enum ec2_state state)
{
	const struct ec2_meta *m = &in->meta;
	const struct instance_type *t = type_lookup(ctx->types, m->instance_type, NULL);
	json_object *o = json_object_new_object(), *x, *a, *e;
	const char *public_ip;
	char dns[96];
	bool net;
	size_t i;

	if (in->terminated && json_object_object_get_ex(in->terminated, "Instance", &x)) {
		json_object_put(o);
		o = NULL; /* json_object_deep_copy wants an empty destination */
		json_object_deep_copy(x, &o, NULL);
		return o;
	}
	json_add_int(o, "AmiLaunchIndex", m->launch_index);
	json_add_str(o, "ImageId", m->image_id);
	json_add_str(o, "InstanceId", in->id);
	json_add_str(o, "InstanceType", m->instance_type);
	if (m->key_name[0])
		json_add_str(o, "KeyName", m->key_name);
	json_add_str(o, "LaunchTime", m->launch_time);
	x = json_object_new_object();
	json_add_str(x, "State", "disabled");
	json_object_object_add(o, "Monitoring", x);
	x = json_object_new_object();
	/* Instances launched before zones have none in their metadata: the default zone's. */
	json_add_str(x, "AvailabilityZone", m->availability_zone[0] ? m->availability_zone :
		     ctx->cfg->availability_zone);
	json_add_str(x, "GroupName", "");
	json_add_str(x, "Tenancy", "default");
	json_object_object_add(o, "Placement", x);
	net = m->private_ip[0] && state != EC2_TERMINATED && state != EC2_SHUTTING_DOWN;
	/* An Elastic IP stays with a stopped instance; an automatic public IP does not. */
	public_ip = net && m->public_ip[0] && (state == EC2_RUNNING || state == EC2_PENDING ||
					       state == EC2_STOPPING || m->eip_allocation_id[0]) ?
		    m->public_ip : NULL;
	if (net)
		eni_private_dns_name(ctx, m->private_ip, dns, sizeof(dns));
	json_add_str(o, "PrivateDnsName", net ? dns : "");
	if (net)
		json_add_str(o, "PrivateIpAddress", m->private_ip);
	json_object_object_add(o, "ProductCodes", json_object_new_array());
	json_add_str(o, "PublicDnsName", "");
	if (public_ip)
		json_add_str(o, "PublicIpAddress", public_ip);
	json_object_object_add(o, "State", state_obj(state));
	json_add_str(o, "StateTransitionReason", state == EC2_RUNNING || state == EC2_PENDING ?
		     "" : m->transition_reason);
	if (net) {
		json_add_str(o, "SubnetId", m->subnet_id);
		json_add_str(o, "VpcId", m->vpc_id);
	}
	json_add_str(o, "Architecture", "x86_64");
	json_object_object_add(o, "BlockDeviceMappings", state != EC2_TERMINATED ?
			       block_devices_json(m) : json_object_new_array());
	json_add_str(o, "ClientToken", m->client_token);
	json_add_bool(o, "EbsOptimized", false);
	json_add_bool(o, "EnaSupport", true);
	json_add_str(o, "Hypervisor", "xen");
	x = iam_assoc_profile_json(m);
	if (x)
		json_object_object_add(o, "IamInstanceProfile", x);
	a = json_object_new_array();
	if (net)
		json_object_array_add(a, eni_json(ctx, in->id, m, public_ip, NULL, false));
	json_object_object_add(o, "NetworkInterfaces", a);
	json_add_str(o, "RootDeviceName", "/dev/xvda");
	json_add_str(o, "RootDeviceType", "ebs");
	json_object_object_add(o, "SecurityGroups", eni_groups_json(m));
	json_add_bool(o, "SourceDestCheck", !m->source_dest_check_off);
	if (state == EC2_STOPPED || state == EC2_STOPPING || state == EC2_TERMINATED ||
	    state == EC2_SHUTTING_DOWN) {
		const char *code = m->state_reason[0] ? m->state_reason : "Client.UserInitiatedShutdown";

		x = json_object_new_object();
		json_add_str(x, "Code", code);
		json_add_str(x, "Message", reason_message(code));
		json_object_object_add(o, "StateReason", x);
	}
	/* The user's tags, then ec2-lite's own read-only ones (like EC2's aws: tags): which
	 * accelerator runs the instance. */
	a = json_object_new_array();
	for (i = 0; m->tags && i < json_object_array_length(m->tags); i++)
		json_object_array_add(a, json_object_get(json_object_array_get_idx(m->tags, i)));
	e = json_object_new_object();
	json_add_str(e, "Key", "ec2-lite:accelerator");
	json_add_str(e, "Value", m->accelerator);
	json_object_array_add(a, e);
	e = json_object_new_object();
	json_add_str(e, "Key", "ec2-lite:kernel-entry");
	json_add_str(e, "Value", m->kernel_entry[0] ? m->kernel_entry : "bios");
	json_object_array_add(a, e);
	json_object_object_add(o, "Tags", a);
	json_add_str(o, "VirtualizationType", "hvm");
	x = json_object_new_object();
	json_add_int(x, "CoreCount", t ? t->vcpus / t->threads_per_core : 1);
	json_add_int(x, "ThreadsPerCore", t ? t->threads_per_core : 1);
	json_object_object_add(o, "CpuOptions", x);
	x = json_object_new_object();
	json_add_str(x, "CapacityReservationPreference", "open");
	json_object_object_add(o, "CapacityReservationSpecification", x);
	x = json_object_new_object();
	json_add_bool(x, "Configured", m->hibernation);
	json_object_object_add(o, "HibernationOptions", x);
	json_object_object_add(o, "MetadataOptions", metaopts_json(m));
	x = json_object_new_object();
	json_add_bool(x, "Enabled", false);
	json_object_object_add(o, "EnclaveOptions", x);
	json_add_str(o, "PlatformDetails", "Linux/UNIX");
	json_add_str(o, "UsageOperation", "RunInstances");
	json_add_str(o, "UsageOperationUpdateTime", m->launch_time);
	x = json_object_new_object();
	json_add_str(x, "AutoRecovery", "default");
	json_object_object_add(o, "MaintenanceOptions", x);
	json_add_str(o, "CurrentInstanceBootMode", "legacy-bios");
	return o;
}

json_object *change_obj(const char *id, enum ec2_state cur, enum ec2_state prev)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "CurrentState", state_obj(cur));
	json_add_str(o, "InstanceId", id);
	json_object_object_add(o, "PreviousState", state_obj(prev));
	return o;
}
