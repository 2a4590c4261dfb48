/* Domain XML and instance metadata: see include/ec2lite/domxml.h. */
#include "ec2lite/domxml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/util.h"

#define X(s) ((const xmlChar *)(s))

static char *dump_doc(xmlDocPtr doc, struct ec2_error *err);

void ec2_meta_clear(struct ec2_meta *m)
{
	json_object_put(m->tags);
	json_object_put(m->groups);
	json_object_put(m->volumes);
	memset(m, 0, sizeof(*m));
}

static xmlNodePtr text_child(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
	return xmlNewTextChild(parent, ns, X(name), X(text ? text : ""));
}

static xmlNodePtr meta_node(xmlNsPtr *ns_out, const struct ec2_meta *m, bool with_ns)
{
	xmlNodePtr root = xmlNewNode(NULL, X("instance")), tags;
	xmlNsPtr ns = NULL;
	char num[32];
	size_t i;

	if (with_ns) {
		ns = xmlNewNs(root, X(EC2_META_NS), X(EC2_META_PREFIX));
		xmlSetNs(root, ns);
	}
	text_child(root, ns, "image-id", m->image_id);
	text_child(root, ns, "instance-type", m->instance_type);
	text_child(root, ns, "reservation-id", m->reservation_id);
	text_child(root, ns, "launch-time", m->launch_time);
	snprintf(num, sizeof(num), "%d", m->launch_index);
	text_child(root, ns, "launch-index", num);
	text_child(root, ns, "hibernation-configured", m->hibernation ? "true" : "false");
	text_child(root, ns, "shutdown-behavior", m->shutdown_behavior);
	text_child(root, ns, "client-token", m->client_token);
	text_child(root, ns, "root-volume-id", m->root_volume_id);
	text_child(root, ns, "root-volume", m->root_volume);
	text_child(root, ns, "pool", m->pool);
	text_child(root, ns, "accelerator", m->accelerator);
	text_child(root, ns, "kernel-entry", m->kernel_entry);
	text_child(root, ns, "transition-reason", m->transition_reason);
	text_child(root, ns, "state-reason", m->state_reason);
	if (m->pending_op != EC2_OP_NONE) {
		xmlNodePtr p = text_child(root, ns, "pending-op", ec2_op_name(m->pending_op));

		snprintf(num, sizeof(num), "%lld", m->pending_since);
		xmlNewProp(p, X("since"), X(num));
	}
	if (m->pending_image[0])
		text_child(root, ns, "pending-image", m->pending_image);
	text_child(root, ns, "key-name", m->key_name);
	snprintf(num, sizeof(num), "%lld", m->console_offset);
	text_child(root, ns, "console-offset", num);
	text_child(root, ns, "private-ip", m->private_ip);
	text_child(root, ns, "public-ip", m->public_ip);
	text_child(root, ns, "eni-id", m->eni_id);
	text_child(root, ns, "vpc-id", m->vpc_id);
	text_child(root, ns, "subnet-id", m->subnet_id);
	/* Written only when set, so that older instances' metadata reads the same. */
	if (m->availability_zone[0])
		text_child(root, ns, "availability-zone", m->availability_zone);
	if (m->eip_allocation_id[0])
		text_child(root, ns, "eip-allocation-id", m->eip_allocation_id);
	if (m->disable_api_termination)
		text_child(root, ns, "disable-api-termination", "true");
	if (m->disable_api_stop)
		text_child(root, ns, "disable-api-stop", "true");
	if (m->source_dest_check_off)
		text_child(root, ns, "source-dest-check", "false");
	if (m->http_tokens_required)
		text_child(root, ns, "http-tokens", "required");
	if (m->http_hop_limit > 1) {
		snprintf(num, sizeof(num), "%d", m->http_hop_limit);
		text_child(root, ns, "http-put-response-hop-limit", num);
	}
	if (m->http_endpoint_off)
		text_child(root, ns, "http-endpoint", "disabled");
	if (m->metadata_tags)
		text_child(root, ns, "instance-metadata-tags", "enabled");
	if (m->iam_assoc_id[0]) {
		xmlNodePtr p = text_child(root, ns, "iam-instance-profile", m->iam_profile_arn);

		xmlNewProp(p, X("id"), X(m->iam_profile_id));
		xmlNewProp(p, X("association-id"), X(m->iam_assoc_id));
		xmlNewProp(p, X("since"), X(m->iam_assoc_time));
	}
	tags = xmlNewChild(root, ns, X("security-groups"), NULL);
	for (i = 0; m->groups && i < json_object_array_length(m->groups); i++) {
		json_object *g = json_object_array_get_idx(m->groups, i);
		xmlNodePtr grp = text_child(tags, ns, "group", req_string(g, "GroupName"));

		xmlNewProp(grp, X("id"), X(req_string(g, "GroupId") ? req_string(g, "GroupId") : ""));
	}
	tags = xmlNewChild(root, ns, X("tags"), NULL);
	for (i = 0; m->tags && i < json_object_array_length(m->tags); i++) {
		json_object *t = json_object_array_get_idx(m->tags, i);
		xmlNodePtr tag = text_child(tags, ns, "tag", req_string(t, "Value"));

		xmlNewProp(tag, X("key"), X(req_string(t, "Key") ? req_string(t, "Key") : ""));
	}
	if (m->root_keep)
		text_child(root, ns, "root-delete-on-termination", "false");
	if (m->volumes && json_object_array_length(m->volumes) > 0) {
		tags = xmlNewChild(root, ns, X("volumes"), NULL);
		for (i = 0; i < json_object_array_length(m->volumes); i++) {
			json_object *v = json_object_array_get_idx(m->volumes, i);
			xmlNodePtr vn = xmlNewChild(tags, ns, X("volume"), NULL);
			json_object *dot = json_object_object_get(v, "DeleteOnTermination");

			xmlNewProp(vn, X("id"), X(req_str0(v, "VolumeId")));
			xmlNewProp(vn, X("device"), X(req_str0(v, "Device")));
			xmlNewProp(vn, X("target"), X(req_str0(v, "Target")));
			xmlNewProp(vn, X("since"), X(req_str0(v, "AttachTime")));
			xmlNewProp(vn, X("state"), X(req_str0(v, "State")));
			xmlNewProp(vn, X("delete-on-termination"),
				   X(json_object_get_boolean(dot) ? "true" : "false"));
		}
	}
	if (ns_out)
		*ns_out = ns;
	return root;
}

static char *dump_node(xmlDocPtr doc, xmlNodePtr node)
{
	xmlBufferPtr buf = xmlBufferCreate();
	char *s;

	xmlNodeDump(buf, doc, node, 0, 1);
	s = strdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	if (!s)
		abort();
	return s;
}

char *ec2_meta_to_xml(const struct ec2_meta *m, struct ec2_error *err)
{
	xmlDocPtr doc = xmlNewDoc(X("1.0"));
	xmlNodePtr node = meta_node(NULL, m, false);
	char *s;

	(void)err;
	xmlDocSetRootElement(doc, node);
	s = dump_node(doc, node);
	xmlFreeDoc(doc);
	return s;
}

static void copy_text(xmlNodePtr n, char *dst, size_t size)
{
	xmlChar *t = xmlNodeGetContent(n);

	snprintf(dst, size, "%s", t ? (const char *)t : "");
	xmlFree(t);
}

static void copy_prop(xmlNodePtr n, const char *name, char *dst, size_t size)
{
	xmlChar *t = xmlGetProp(n, X(name));

	snprintf(dst, size, "%s", t ? (const char *)t : "");
	xmlFree(t);
}

int ec2_meta_from_xml(const char *xml, struct ec2_meta *m, struct ec2_error *err)
{
	xmlDocPtr doc;
	xmlNodePtr root, n;
	char buf[64];

	memset(m, 0, sizeof(*m));
	m->http_hop_limit = 1;
	doc = xmlReadMemory(xml, (int)strlen(xml), "metadata.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc || !(root = xmlDocGetRootElement(doc)) ||
	    !xmlStrEqual(root->name, X("instance"))) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "the instance metadata is not ec2-lite's");
		xmlFreeDoc(doc);
		return -1;
	}
	for (n = root->children; n; n = n->next) {
		const char *name = (const char *)n->name;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp(name, "image-id") == 0)
			copy_text(n, m->image_id, sizeof(m->image_id));
		else if (strcmp(name, "instance-type") == 0)
			copy_text(n, m->instance_type, sizeof(m->instance_type));
		else if (strcmp(name, "reservation-id") == 0)
			copy_text(n, m->reservation_id, sizeof(m->reservation_id));
		else if (strcmp(name, "launch-time") == 0)
			copy_text(n, m->launch_time, sizeof(m->launch_time));
		else if (strcmp(name, "launch-index") == 0) {
			copy_text(n, buf, sizeof(buf));
			m->launch_index = atoi(buf);
		} else if (strcmp(name, "hibernation-configured") == 0) {
			copy_text(n, buf, sizeof(buf));
			m->hibernation = strcmp(buf, "true") == 0;
		} else if (strcmp(name, "shutdown-behavior") == 0)
			copy_text(n, m->shutdown_behavior, sizeof(m->shutdown_behavior));
		else if (strcmp(name, "client-token") == 0)
			copy_text(n, m->client_token, sizeof(m->client_token));
		else if (strcmp(name, "root-volume-id") == 0)
			copy_text(n, m->root_volume_id, sizeof(m->root_volume_id));
		else if (strcmp(name, "root-volume") == 0)
			copy_text(n, m->root_volume, sizeof(m->root_volume));
		else if (strcmp(name, "pool") == 0)
			copy_text(n, m->pool, sizeof(m->pool));
		else if (strcmp(name, "accelerator") == 0)
			copy_text(n, m->accelerator, sizeof(m->accelerator));
		else if (strcmp(name, "kernel-entry") == 0)
			copy_text(n, m->kernel_entry, sizeof(m->kernel_entry));
		else if (strcmp(name, "state-reason") == 0)
			copy_text(n, m->state_reason, sizeof(m->state_reason));
		else if (strcmp(name, "transition-reason") == 0)
			copy_text(n, m->transition_reason, sizeof(m->transition_reason));
		else if (strcmp(name, "pending-op") == 0) {
			xmlChar *since = xmlGetProp(n, X("since"));
			char op[16];

			copy_text(n, op, sizeof(op));
			m->pending_op = ec2_op_parse(op);
			m->pending_since = since ? atoll((const char *)since) : 0;
			xmlFree(since);
		} else if (strcmp(name, "console-offset") == 0) {
			copy_text(n, buf, sizeof(buf));
			m->console_offset = atoll(buf);
		} else if (strcmp(name, "pending-image") == 0) {
			copy_text(n, m->pending_image, sizeof(m->pending_image));
		} else if (strcmp(name, "private-ip") == 0) {
			copy_text(n, m->private_ip, sizeof(m->private_ip));
		} else if (strcmp(name, "public-ip") == 0) {
			copy_text(n, m->public_ip, sizeof(m->public_ip));
		} else if (strcmp(name, "eni-id") == 0) {
			copy_text(n, m->eni_id, sizeof(m->eni_id));
		} else if (strcmp(name, "vpc-id") == 0) {
			copy_text(n, m->vpc_id, sizeof(m->vpc_id));
		} else if (strcmp(name, "subnet-id") == 0) {
			copy_text(n, m->subnet_id, sizeof(m->subnet_id));
		} else if (strcmp(name, "availability-zone") == 0) {
			copy_text(n, m->availability_zone, sizeof(m->availability_zone));
		} else if (strcmp(name, "eip-allocation-id") == 0) {
			copy_text(n, m->eip_allocation_id, sizeof(m->eip_allocation_id));
		} else if (strcmp(name, "disable-api-termination") == 0) {
			copy_text(n, buf, sizeof(buf));
			m->disable_api_termination = strcmp(buf, "true") == 0;
		} else if (strcmp(name, "disable-api-stop") == 0) {
			copy_text(n, buf, sizeof(buf));
			m->disable_api_stop = strcmp(buf, "true") == 0;
		} else if (strcmp(name, "source-dest-check") == 0) {
			copy_text(n, buf, sizeof(buf));
			m->source_dest_check_off = strcmp(buf, "false") == 0;
		} else if (strcmp(name, "http-tokens") == 0) {
			copy_text(n, buf, sizeof(buf));
			m->http_tokens_required = strcmp(buf, "required") == 0;
		} else if (strcmp(name, "http-put-response-hop-limit") == 0) {
			copy_text(n, buf, sizeof(buf));
			m->http_hop_limit = atoi(buf) >= 1 && atoi(buf) <= 64 ? atoi(buf) : 1;
		} else if (strcmp(name, "http-endpoint") == 0) {
			copy_text(n, buf, sizeof(buf));
			m->http_endpoint_off = strcmp(buf, "disabled") == 0;
		} else if (strcmp(name, "instance-metadata-tags") == 0) {
			copy_text(n, buf, sizeof(buf));
			m->metadata_tags = strcmp(buf, "enabled") == 0;
		} else if (strcmp(name, "iam-instance-profile") == 0) {
			copy_prop(n, "id", m->iam_profile_id, sizeof(m->iam_profile_id));
			copy_prop(n, "association-id", m->iam_assoc_id, sizeof(m->iam_assoc_id));
			copy_prop(n, "since", m->iam_assoc_time, sizeof(m->iam_assoc_time));
			copy_text(n, m->iam_profile_arn, sizeof(m->iam_profile_arn));
		} else if (strcmp(name, "key-name") == 0) {
			copy_text(n, m->key_name, sizeof(m->key_name));
		} else if (strcmp(name, "security-groups") == 0) {
			xmlNodePtr t;

			m->groups = json_object_new_array();
			for (t = n->children; t; t = t->next) {
				json_object *g;
				xmlChar *gid, *gname;

				if (t->type != XML_ELEMENT_NODE)
					continue;
				gid = xmlGetProp(t, X("id"));
				gname = xmlNodeGetContent(t);
				g = json_object_new_object();
				json_add_str(g, "GroupId", gid ? (const char *)gid : "");
				json_add_str(g, "GroupName", gname ? (const char *)gname : "");
				json_object_array_add(m->groups, g);
				xmlFree(gid);
				xmlFree(gname);
			}
		} else if (strcmp(name, "root-delete-on-termination") == 0) {
			copy_text(n, buf, sizeof(buf));
			m->root_keep = strcmp(buf, "false") == 0;
		} else if (strcmp(name, "volumes") == 0) {
			xmlNodePtr t;
			static const char *const attrs[][2] = {
				{ "id", "VolumeId" }, { "device", "Device" }, { "target", "Target" },
				{ "since", "AttachTime" }, { "state", "State" },
			};

			m->volumes = json_object_new_array();
			for (t = n->children; t; t = t->next) {
				json_object *v;
				xmlChar *a;
				size_t k;

				if (t->type != XML_ELEMENT_NODE)
					continue;
				v = json_object_new_object();
				for (k = 0; k < sizeof(attrs) / sizeof(attrs[0]); k++) {
					a = xmlGetProp(t, X(attrs[k][0]));
					json_add_str(v, attrs[k][1], a ? (const char *)a : "");
					xmlFree(a);
				}
				a = xmlGetProp(t, X("delete-on-termination"));
				json_add_bool(v, "DeleteOnTermination",
					      a && strcmp((const char *)a, "true") == 0);
				xmlFree(a);
				json_object_array_add(m->volumes, v);
			}
		} else if (strcmp(name, "tags") == 0) {
			xmlNodePtr t;

			m->tags = json_object_new_array();
			for (t = n->children; t; t = t->next) {
				json_object *tag;
				xmlChar *key, *val;

				if (t->type != XML_ELEMENT_NODE)
					continue;
				key = xmlGetProp(t, X("key"));
				val = xmlNodeGetContent(t);
				tag = json_object_new_object();
				json_add_str(tag, "Key", key ? (const char *)key : "");
				json_add_str(tag, "Value", val ? (const char *)val : "");
				json_object_array_add(m->tags, tag);
				xmlFree(key);
				xmlFree(val);
			}
		}
	}
	xmlFreeDoc(doc);
	return 0;
}

static xmlNodePtr child(xmlNodePtr parent, const char *name, const char *text)
{
	return text ? text_child(parent, NULL, name, text) : xmlNewChild(parent, NULL, X(name), NULL);
}

static void prop(xmlNodePtr n, const char *name, const char *value)
{
	xmlNewProp(n, X(name), X(value));
}

static xmlNodePtr elem(xmlNodePtr parent, const char *name, const char *a1, const char *v1)
{
	xmlNodePtr n = child(parent, name, NULL);

	if (a1)
		prop(n, a1, v1);
	return n;
}

char *domxml_build(const struct domspec *s, struct ec2_error *err)
{
	xmlDocPtr doc;
	xmlNodePtr dom, n, os, feat, devs, d;
	char num[32];
	int k;

	if (!s->name || !s->disk_path || !s->meta || s->vcpus < 1 || s->memory_mib < 1) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "incomplete domain specification");
		return NULL;
	}
	doc = xmlNewDoc(X("1.0"));
	dom = xmlNewNode(NULL, X("domain"));
	xmlDocSetRootElement(doc, dom);
	prop(dom, "type", s->accel == EC2_ACCEL_KVM ? "kvm" : "qemu");
	child(dom, "name", s->name);
	child(dom, "title", "ec2-lite instance");
	n = child(dom, "metadata", NULL);
	xmlAddChild(n, meta_node(NULL, s->meta, true));

	if (s->uuid) {
		/* cloud-init takes a guest for EC2's when its SMBIOS UUID starts with ec2 and
		 * equals the serial (DataSourceEc2.identify_aws, ds-identify). */
		child(dom, "uuid", s->uuid);
		n = elem(dom, "sysinfo", "type", "smbios");
		prop(child(child(n, "bios", NULL), "entry", "Amazon EC2"), "name", "vendor");
		d = child(n, "system", NULL);
		prop(child(d, "entry", "Amazon EC2"), "name", "manufacturer");
		prop(child(d, "entry", s->uuid), "name", "serial");
		prop(child(d, "entry", s->uuid), "name", "uuid");
	}
	snprintf(num, sizeof(num), "%ld", s->memory_mib);
	prop(child(dom, "memory", num), "unit", "MiB");
	snprintf(num, sizeof(num), "%u", s->vcpus);
	prop(child(dom, "vcpu", num), "placement", "static");

	os = child(dom, "os", NULL);
	n = child(os, "type", "hvm");
	prop(n, "arch", "x86_64");
	prop(n, "machine", "pc");
	if (s->kernel) {
		child(os, "kernel", s->kernel);
		if (s->initrd)
			child(os, "initrd", s->initrd);
		if (s->cmdline)
			child(os, "cmdline", s->cmdline);
	} else {
		elem(os, "boot", "dev", "hd");
	}
	if (s->uuid)
		elem(os, "smbios", "mode", "sysinfo");

	feat = child(dom, "features", NULL);
	child(feat, "acpi", NULL);
	child(feat, "apic", NULL);
	if (s->accel == EC2_ACCEL_TCG) {
		/* TCG's default translation cache costs ~1 GiB of host memory per guest. */
		snprintf(num, sizeof(num), "%u", s->tb_cache_mib ? s->tb_cache_mib : 128);
		prop(child(child(feat, "tcg", NULL), "tb-cache", num), "unit", "MiB");
	} else {
		n = elem(dom, "cpu", "mode", "host-passthrough");
		prop(n, "check", "none");
	}

	n = elem(dom, "clock", "offset", "utc");
	if (s->accel == EC2_ACCEL_KVM) {
		/* Emulated timers a KVM guest does not need and which cost boot time. */
		prop(elem(n, "timer", "name", "pit"), "tickpolicy", "delay");
		prop(elem(n, "timer", "name", "rtc"), "tickpolicy", "catchup");
		prop(elem(n, "timer", "name", "hpet"), "present", "no");
	}
	child(dom, "on_poweroff", "destroy");
	child(dom, "on_reboot", "restart");
	child(dom, "on_crash", "destroy");
	n = child(dom, "pm", NULL);
	elem(n, "suspend-to-mem", "enabled", "no");
	elem(n, "suspend-to-disk", "enabled", "no");

	devs = child(dom, "devices", NULL);
	d = elem(devs, "disk", "type", "file");
	prop(d, "device", "disk");
	n = elem(d, "driver", "name", "qemu");
	prop(n, "type", s->disk_format ? s->disk_format : "qcow2");
	prop(n, "discard", "unmap");
	elem(d, "source", "file", s->disk_path);
	n = elem(d, "target", "dev", "vda");
	prop(n, "bus", "virtio");

	if (s->seed) {
		/* A read-only virtio disk: the guest finds it by its label (cidata) as it would a
		 * CD-ROM, with no ATA emulation to probe. */
		d = elem(devs, "disk", "type", "file");
		prop(d, "device", "disk");
		n = elem(d, "driver", "name", "qemu");
		prop(n, "type", "raw");
		elem(d, "source", "file", s->seed);
		n = elem(d, "target", "dev", "vdb");
		prop(n, "bus", "virtio");
		child(d, "readonly", NULL);
	}

	for (k = 0; k < s->ephemeral_count && k < 8; k++) {
		/* The instance store: raw virtio disks the guest finds by their serial
		 * (/sys/block/vdX/serial), since libvirt 9 has no NVMe disk bus to show EC2's
		 * "Amazon EC2 NVMe Instance Storage". The serial fills virtio's 20 bytes; the
		 * targets are vds..vdz (8 at most, as types.h's TYPE_STORE_DISKS_MAX), clear of
		 * the root disk, the seed and EBS volumes. */
		char target[8], serial[24];

		snprintf(target, sizeof(target), "vd%c", 's' + k);
		snprintf(serial, sizeof(serial), "AWS-INSTANCE-STORE-%d", k);
		d = elem(devs, "disk", "type", "file");
		prop(d, "device", "disk");
		n = elem(d, "driver", "name", "qemu");
		prop(n, "type", "raw");
		prop(n, "discard", "unmap"); /* what the guest trims goes back to the host */
		elem(d, "source", "file", s->ephemeral[k]);
		n = elem(d, "target", "dev", target);
		prop(n, "bus", "virtio");
		child(d, "serial", serial);
	}

	d = elem(devs, "serial", "type", "pty");
	if (s->console_log) {
		n = elem(d, "log", "file", s->console_log);
		prop(n, "append", "on");
	}
	elem(d, "target", "port", "0");
	d = elem(devs, "console", "type", "pty");
	n = elem(d, "target", "type", "serial");
	prop(n, "port", "0");

	d = elem(devs, "channel", "type", "unix");
	n = elem(d, "target", "type", "virtio");
	prop(n, "name", "org.qemu.guest_agent.0");

	n = elem(devs, "controller", "type", "usb");
	prop(n, "model", "none");
	d = elem(devs, "memballoon", "model", "virtio");
	prop(d, "freePageReporting", "on");
	d = elem(devs, "rng", "model", "virtio");
	prop(child(d, "backend", "/dev/urandom"), "model", "random");

	if (s->netdev && s->nic) {
		/* User-mode networking with restrict=on (no route out) is beyond libvirt 9's
		 * <interface> without passt, so the NIC is given to QEMU directly. */
		xmlNsPtr q = xmlNewNs(dom, X("http://libvirt.org/schemas/domain/qemu/1.0"), X("qemu"));
		const char *args[] = { "-netdev", s->netdev, "-device", s->nic };
		size_t i;

		n = xmlNewChild(dom, q, X("commandline"), NULL);
		for (i = 0; i < 4; i++)
			xmlNewProp(xmlNewChild(n, q, X("arg"), NULL), X("value"), X(args[i]));
	}

	return dump_doc(doc, err);
}

void domxml_ec2_uuid(char out[37])
{
	unsigned char b[16];
	char hex[33];
	int i;

	if (RAND_bytes(b, sizeof(b)) != 1)
		abort();
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[i]);
	memcpy(hex, "ec2", 3);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static char *dump_doc(xmlDocPtr doc, struct ec2_error *err)
{
	xmlChar *out = NULL;
	int len = 0;
	char *result;

	xmlDocDumpFormatMemoryEnc(doc, &out, &len, "UTF-8", 1);
	xmlFreeDoc(doc);
	if (!out) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "cannot serialise XML");
		return NULL;
	}
	result = strdup((const char *)out);
	xmlFree(out);
	if (!result)
		abort();
	return result;
}

/* The first element child of parent named name, or NULL. */
static xmlNodePtr find_child(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;

	for (n = parent ? parent->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, X(name)))
			return n;
	return NULL;
}

/* Sets the text of parent's child name (added last when missing) and, when given, its unit. */
static void set_sized(xmlNodePtr parent, const char *name, const char *text, const char *unit)
{
	xmlNodePtr n = find_child(parent, name);

	if (!n)
		n = child(parent, name, NULL);
	xmlNodeSetContent(n, X(text));
	if (unit)
		xmlSetProp(n, X("unit"), X(unit));
}

char *domxml_resize(const char *xml, unsigned vcpus, long memory_mib, unsigned tb_cache_mib,
		    struct ec2_error *err)
{
	xmlDocPtr doc = xml ? xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
					    XML_PARSE_NONET | XML_PARSE_NOERROR |
					    XML_PARSE_NOWARNING) : NULL;
	xmlNodePtr dom = doc ? xmlDocGetRootElement(doc) : NULL, n, tcg;
	char num[32];

	if (!dom || !xmlStrEqual(dom->name, X("domain")) || vcpus < 1 || memory_mib < 1) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "not a domain to resize");
		xmlFreeDoc(doc);
		return NULL;
	}
	/* <memory> and <currentMemory> alike: a smaller current size would leave the balloon
	 * holding the difference. A <maxMemory> (memory hotplug) is not ec2-lite's. */
	for (n = dom->children; n; n = n->next) {
		xmlChar *unit;
		bool mib;

		if (n->type != XML_ELEMENT_NODE || (!xmlStrEqual(n->name, X("memory")) &&
						    !xmlStrEqual(n->name, X("currentMemory"))))
			continue;
		/* In the unit it has: MiB as domxml_build writes it, KiB as libvirt does. */
		unit = xmlGetProp(n, X("unit"));
		mib = unit && xmlStrEqual(unit, X("MiB"));
		xmlFree(unit);
		snprintf(num, sizeof(num), "%ld", mib ? memory_mib : memory_mib * 1024);
		xmlNodeSetContent(n, X(num));
		xmlSetProp(n, X("unit"), X(mib ? "MiB" : "KiB"));
	}
	snprintf(num, sizeof(num), "%u", vcpus);
	n = find_child(dom, "vcpu");
	set_sized(dom, "vcpu", num, NULL);
	if (n)
		xmlUnsetProp(n, X("current"));
	tcg = find_child(find_child(dom, "features"), "tcg");
	if (tcg && tb_cache_mib) {
		snprintf(num, sizeof(num), "%u", tb_cache_mib);
		set_sized(tcg, "tb-cache", num, "MiB");
	}
	return dump_doc(doc, err);
}

char *domxml_qemu_drive(const char *path, const char *opts)
{
	struct util_buf b = { 0 };
	const char *p;

	util_buf_puts(&b, "file=");
	for (p = path; *p; p++)
		util_buf_put(&b, *p == ',' ? ",," : p, *p == ',' ? 2 : 1);
	util_buf_puts(&b, ",");
	util_buf_puts(&b, opts);
	return b.s;
}

char *domxml_pool(const char *name, const char *path, struct ec2_error *err)
{
	xmlDocPtr doc = xmlNewDoc(X("1.0"));
	xmlNodePtr pool = xmlNewNode(NULL, X("pool")), target;

	xmlDocSetRootElement(doc, pool);
	prop(pool, "type", "dir");
	child(pool, "name", name);
	target = child(pool, "target", NULL);
	child(target, "path", path);
	return dump_doc(doc, err);
}

char *domxml_volume(const char *name, unsigned long long capacity, const char *backing,
		    const char *backing_format, struct ec2_error *err)
{
	xmlDocPtr doc = xmlNewDoc(X("1.0"));
	xmlNodePtr vol = xmlNewNode(NULL, X("volume")), n;
	char num[32];

	xmlDocSetRootElement(doc, vol);
	child(vol, "name", name);
	snprintf(num, sizeof(num), "%llu", capacity);
	prop(child(vol, "capacity", num), "unit", "bytes");
	child(vol, "allocation", "0");
	n = child(vol, "target", NULL);
	elem(n, "format", "type", "qcow2");
	if (backing) {
		n = child(vol, "backingStore", NULL);
		child(n, "path", backing);
		elem(n, "format", "type", backing_format ? backing_format : "raw");
	}
	return dump_doc(doc, err);
}

char *domxml_volume_disk(const char *path, const char *target, const char *serial,
			 struct ec2_error *err)
{
	xmlDocPtr doc = xmlNewDoc(X("1.0"));
	xmlNodePtr d = xmlNewNode(NULL, X("disk")), n;
	char *s;

	xmlDocSetRootElement(doc, d);
	prop(d, "type", "file");
	prop(d, "device", "disk");
	n = elem(d, "driver", "name", "qemu");
	prop(n, "type", "qcow2");
	prop(n, "discard", "unmap");
	elem(d, "source", "file", path);
	n = elem(d, "target", "dev", target);
	prop(n, "bus", "virtio");
	child(d, "serial", serial);
	/* the element alone, without an XML declaration */
	s = dump_node(doc, d);
	xmlFreeDoc(doc);
	(void)err;
	return s;
}

bool domxml_has_serial(const char *xml, const char *serial)
{
	xmlDocPtr doc = xml ? xmlReadMemory(xml, (int)strlen(xml), NULL, NULL,
					    XML_PARSE_NONET | XML_PARSE_NOBLANKS) : NULL;
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL, n, d, s;
	bool found = false;

	for (n = root ? root->children : NULL; n && !found; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || xmlStrcmp(n->name, X("devices")) != 0)
			continue;
		for (d = n->children; d && !found; d = d->next) {
			if (d->type != XML_ELEMENT_NODE || xmlStrcmp(d->name, X("disk")) != 0)
				continue;
			for (s = d->children; s && !found; s = s->next) {
				xmlChar *text;

				if (s->type != XML_ELEMENT_NODE || xmlStrcmp(s->name, X("serial")) != 0)
					continue;
				text = xmlNodeGetContent(s);
				found = text && strcmp((const char *)text, serial) == 0;
				xmlFree(text);
			}
		}
	}
	xmlFreeDoc(doc);
	return found;
}
