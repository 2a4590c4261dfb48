/* Instances, their attributes: ModifyInstanceAttribute, DescribeInstanceAttribute and
 * GetPasswordData, and the protection attributes' check that StopInstances and
 * TerminateInstances make before the state machine's (attrs_protected).
 *
 * An attribute lives where the instance keeps it: its type in the domain's definition (vCPUs,
 * memory, the TCG translation cache) and metadata, its user data in the NoCloud seed beside the
 * instance, its groups in the metadata and the network's forwards, the rest in the metadata
 * (include/ec2lite/domxml.h struct ec2_meta). What the hardware here fixes (ENA, no SR-IOV, no
 * EBS optimisation, no kernel or RAM disk of EC2's) is described as EC2 describes it for such an
 * instance and can be set only to what it is. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>
#include <time.h>

#include "ec2lite/eni.h"
#include "ec2lite/keypair.h"
#include "ec2lite/net.h"
#include "ec2lite/secgroup.h"
#include "ec2lite/seed.h"
#include "ec2lite/util.h"

#include "instance-internal.h"

#define ERR_NOT_PERMITTED "OperationNotPermitted"
#define ERR_ATTRIBUTE_VALUE "InvalidInstanceAttributeValue"

enum attr_id {
	A_INSTANCE_TYPE, A_KERNEL, A_RAMDISK, A_USER_DATA, A_DISABLE_API_TERMINATION,
	A_SHUTDOWN_BEHAVIOR, A_ROOT_DEVICE_NAME, A_BLOCK_DEVICE_MAPPING, A_PRODUCT_CODES,
	A_SOURCE_DEST_CHECK, A_GROUP_SET, A_EBS_OPTIMIZED, A_SRIOV_NET_SUPPORT, A_ENA_SUPPORT,
	A_ENCLAVE_OPTIONS, A_DISABLE_API_STOP,
};

enum attr_kind {
	K_STRING, /* {"Value": "..."} */
	K_BOOL,   /* {"Value": true} */
	K_OTHER,  /* a shape of its own (a list, EnclaveOptions) */
};

/* Every attribute EC2 defines (botocore's InstanceAttributeName, in its order). */
static const struct attr {
	enum attr_id id;
	const char *name;   /* EC2's name: the Attribute parameter's value */
	const char *member; /* its member of DescribeInstanceAttribute's InstanceAttribute */
	const char *param;  /* its parameter of ModifyInstanceAttribute; NULL: it cannot be set */
	enum attr_kind kind;
	bool first;         /* botocore orders member before InstanceId (the aws CLI prints so) */
	bool stopped;       /* EC2 changes it only while the instance is stopped */
} attrs[] = {
	{ A_INSTANCE_TYPE, "instanceType", "InstanceType", "InstanceType", K_STRING, false, true },
	{ A_KERNEL, "kernel", "KernelId", "Kernel", K_STRING, false, true },
	{ A_RAMDISK, "ramdisk", "RamdiskId", "Ramdisk", K_STRING, false, true },
	{ A_USER_DATA, "userData", "UserData", "UserData", K_STRING, false, true },
	{ A_DISABLE_API_TERMINATION, "disableApiTermination", "DisableApiTermination",
	  "DisableApiTermination", K_BOOL, true, false },
	{ A_SHUTDOWN_BEHAVIOR, "instanceInitiatedShutdownBehavior",
	  "InstanceInitiatedShutdownBehavior", "InstanceInitiatedShutdownBehavior", K_STRING, false,
	  false },
	{ A_ROOT_DEVICE_NAME, "rootDeviceName", "RootDeviceName", NULL, K_STRING, false, false },
	{ A_BLOCK_DEVICE_MAPPING, "blockDeviceMapping", "BlockDeviceMappings", "BlockDeviceMappings",
	  K_OTHER, true, false },
	{ A_PRODUCT_CODES, "productCodes", "ProductCodes", NULL, K_OTHER, false, false },
	{ A_SOURCE_DEST_CHECK, "sourceDestCheck", "SourceDestCheck", "SourceDestCheck", K_BOOL,
	  false, false },
	{ A_GROUP_SET, "groupSet", "Groups", "Groups", K_OTHER, true, false },
	{ A_EBS_OPTIMIZED, "ebsOptimized", "EbsOptimized", "EbsOptimized", K_BOOL, true, true },
	{ A_SRIOV_NET_SUPPORT, "sriovNetSupport", "SriovNetSupport", "SriovNetSupport", K_STRING,
	  false, true },
	{ A_ENA_SUPPORT, "enaSupport", "EnaSupport", "EnaSupport", K_BOOL, true, true },
	{ A_ENCLAVE_OPTIONS, "enclaveOptions", "EnclaveOptions", NULL, K_OTHER, true, false },
	{ A_DISABLE_API_STOP, "disableApiStop", "DisableApiStop", "DisableApiStop", K_BOOL, false,
	  false },
};
#define NATTRS (sizeof(attrs) / sizeof(attrs[0]))

static const struct attr *attr_named(const char *name)
{
	size_t i;

	for (i = 0; name && i < NATTRS; i++)
		if (strcmp(attrs[i].name, name) == 0)
			return &attrs[i];
	return NULL;
}

int attrs_protected(const struct inst *in, enum ec2_verb verb, struct ec2_error *err)
{
	if (!in->dom)
		return 0;
	if (verb == EC2_VERB_TERMINATE && in->meta.disable_api_termination) {
		ec2_error_set(err, ERR_NOT_PERMITTED, "The instance '%s' may not be terminated. "
			      "Modify its 'disableApiTermination' instance attribute and try again.",
			      in->id);
		return -1;
	}
	if ((verb == EC2_VERB_STOP || verb == EC2_VERB_STOP_FORCE || verb == EC2_VERB_HIBERNATE) &&
	    in->meta.disable_api_stop) {
		ec2_error_set(err, ERR_NOT_PERMITTED, "The instance '%s' may not be stopped. "
			      "Modify its 'disableApiStop' instance attribute and try again.", in->id);
		return -1;
	}
	return 0;
}

/* A terminated instance has no attributes left to ask for. */
int one_live(struct ec2_ctx *ctx, json_object *req, struct inst **v, size_t *n,
	     struct ec2_error *err)
{
	if (resolve_one(ctx, req, v, n, err) < 0)
		return -1;
	if (!(*v)[0].dom) {
		ec2_error_set(err, EC2_ERR_INSTANCE_NOT_FOUND, "The instance ID '%s' does not exist",
			      (*v)[0].id);
		insts_free(*v, *n);
		*v = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

static json_object *value_str(const char *s)
{
	json_object *o = json_object_new_object();

	if (s)
		json_add_str(o, "Value", s);
	return o;
}

static json_object *value_bool(bool b)
{
	json_object *o = json_object_new_object();

	json_add_bool(o, "Value", b);
	return o;
}

/* The instance's user data as the API gives it, base64 (NULL when it has none). */
static char *user_data_b64(struct ec2_ctx *ctx, const char *id)
{
	char *path = util_strdupf("%s/%s/user-data", ctx->instances_dir, id), *b64 = NULL;
	size_t len = 0;
	char *data = util_read_file(path, &len, NULL);

	if (data && len)
		b64 = util_base64(data, len);
	free(data);
	free(path);
	return b64;
}

/* Attribute a of in, in the shape of its InstanceAttribute member (new reference). */
static json_object *attr_value(struct ec2_ctx *ctx, const struct inst *in, const struct attr *a)
{
	const struct ec2_meta *m = &in->meta;
	json_object *o;
	char *b64;

	switch (a->id) {
	case A_INSTANCE_TYPE:
		return value_str(m->instance_type);
	case A_USER_DATA:
		b64 = user_data_b64(ctx, in->id);
		o = value_str(b64);
		free(b64);
		return o;
	case A_DISABLE_API_TERMINATION:
		return value_bool(m->disable_api_termination);
	case A_SHUTDOWN_BEHAVIOR:
		return value_str(m->shutdown_behavior);
	case A_ROOT_DEVICE_NAME:
		return value_str("/dev/xvda");
	case A_BLOCK_DEVICE_MAPPING:
		return block_devices_json(m);
	case A_PRODUCT_CODES:
		return json_object_new_array();
	case A_SOURCE_DEST_CHECK:
		return value_bool(!m->source_dest_check_off);
	case A_GROUP_SET:
		return eni_groups_json(m);
	case A_EBS_OPTIMIZED:
		return value_bool(false);
	case A_ENA_SUPPORT:
		return value_bool(true);
	case A_ENCLAVE_OPTIONS:
		o = json_object_new_object();
		json_add_bool(o, "Enabled", false);
		return o;
	case A_DISABLE_API_STOP:
		return value_bool(m->disable_api_stop);
	case A_KERNEL:
	case A_RAMDISK:
	case A_SRIOV_NET_SUPPORT:
		break;
	}
	return json_object_new_object(); /* EC2's empty value: none of its kernels, no SR-IOV */
}

json_object *ec2_describe_instance_attribute(struct ec2_ctx *ctx, json_object *req,
					     struct ec2_error *err)
{
	const char *name = req_string(req, "Attribute");
	const struct attr *a = attr_named(name);
	json_object *resp;
	struct inst *v;
	size_t n;

	if (!name && req_string(req, "InstanceId")) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter Attribute");
		return NULL;
	}
	if (name && !a) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "Value (%s) for parameter attribute is invalid. Unknown attribute.", name);
		return NULL;
	}
	if (one_live(ctx, req, &v, &n, err) < 0) {
		insts_free(v, n);
		return NULL;
	}
	resp = json_object_new_object();
	if (a->first)
		json_object_object_add(resp, a->member, attr_value(ctx, &v[0], a));
	json_add_str(resp, "InstanceId", v[0].id);
	if (!a->first)
		json_object_object_add(resp, a->member, attr_value(ctx, &v[0], a));
	insts_free(v, n);
	return resp;
}

/* What ModifyInstanceAttribute was asked, in one form. */
struct change {
	const struct attr *a;
	bool b;          /* K_BOOL */
	const char *s;   /* K_STRING (user data: its bytes, s_len long) */
	size_t s_len;
	char *owned;     /* s when decoded here (the Attribute form's base64 user data) */
	json_object *list; /* Groups, BlockDeviceMappings (borrowed) */
};

static int bool_text(const char *param, const char *s, bool *out, struct ec2_error *err)
{
	if (s && strcasecmp(s, "true") == 0)
		*out = true;
	else if (s && strcasecmp(s, "false") == 0)
		*out = false;
	else {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "Value (%s) for parameter %s is invalid. It must be true or false.",
			      s ? s : "", param);
		return -1;
	}
	return 0;
}

/* Base64 text into its bytes (a new string, *len long); NULL when it is not base64. */
static char *from_base64(const char *text, size_t *len)
{
	size_t n = strlen(text), pad = 0;
	unsigned char *out;
	int got;

	if (n % 4 != 0 || n > 4 * (EC2_USER_DATA_MAX / 3 + 1))
		return NULL;
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		abort();
	got = n ? EVP_DecodeBlock(out, (const unsigned char *)text, (int)n) : 0;
	if (got < 0) {
		free(out);
		return NULL;
	}
	pad = (n && text[n - 1] == '=') + (n > 1 && text[n - 2] == '=');
	*len = (size_t)got - pad;
	out[*len] = '\0';
	return (char *)out;
}

/* Reads the one attribute of req into c: either one of its parameters (InstanceType{Value},
 * DisableApiTermination{Value}, Groups, ...) or Attribute with Value. */
static int change_parse(json_object *req, struct change *c, struct ec2_error *err)
{
	const char *name = req_string(req, "Attribute");
	json_object *v = NULL, *value;
	int count = 0;
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NATTRS; i++)
		if (attrs[i].param && json_object_object_get_ex(req, attrs[i].param, &value)) {
			c->a = &attrs[i];
			v = value;
			count++;
		}
	if (name || json_object_object_get_ex(req, "Value", &value))
		count++;
	if (count != 1) {
		ec2_error_set(err, EC2_ERR_INVALID_COMBINATION, count ? "Fields for multiple attribute "
			      "types specified: only one attribute can be modified at a time." :
			      "No attributes specified.");
		return -1;
	}
	if (name || !c->a) {
		const char *text = req_string(req, "Value");

		c->a = attr_named(name);
		if (!c->a || !c->a->param) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, c->a ?
				      "Value (%s) for parameter attribute is invalid. The attribute "
				      "cannot be modified." : "Value (%s) for parameter attribute is "
				      "invalid. Unknown attribute.", name ? name : "");
			return -1;
		}
		if (!text) {
			ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
				      "The request must contain the parameter value");
			return -1;
		}
		if (c->a->kind == K_BOOL)
			return bool_text(c->a->name, text, &c->b, err);
		if (c->a->id == A_GROUP_SET || c->a->id == A_BLOCK_DEVICE_MAPPING) {
			ec2_error_set(err, EC2_ERR_INVALID_COMBINATION, "The attribute '%s' cannot be "
				      "modified with a value: use its own parameter", c->a->name);
			return -1;
		}
		if (c->a->id == A_USER_DATA) {
			/* User data is base64 as a value, as in EC2's API. */
			c->owned = from_base64(text, &c->s_len);
			if (!c->owned) {
				ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
					      "Invalid BASE64 encoding of user data");
				return -1;
			}
			c->s = c->owned;
			return 0;
		}
		c->s = text;
		c->s_len = strlen(text);
		return 0;
	}
	/* The structure {"Value": ...}, or its value alone (the CLI's --flag, --no-flag). */
	value = v;
	if (json_object_is_type(v, json_type_object) && !json_object_object_get_ex(v, "Value",
										    &value))
		value = NULL;
	if (c->a->kind == K_OTHER) {
		c->list = req_list(req, c->a->param);
		if (!c->list || json_object_array_length(c->list) == 0) {
			ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
				      "The request must contain the parameter %s", c->a->param);
			return -1;
		}
		return 0;
	}
	if (!value || json_object_is_type(value, json_type_null) ||
	    json_object_is_type(value, json_type_object) ||
	    json_object_is_type(value, json_type_array)) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter %s.Value", c->a->param);
		return -1;
	}
	if (c->a->kind == K_BOOL)
		return json_object_is_type(value, json_type_boolean) ?
		       (c->b = json_object_get_boolean(value), 0) :
		       bool_text(c->a->name, json_object_get_string(value), &c->b, err);
	c->s = json_object_get_string(value);
	c->s_len = (size_t)json_object_get_string_len(value);
	return 0;
}

/* The attached volume's entry (ec2_meta.volumes) at device dev, or NULL (borrowed). */
static json_object *volume_entry(const struct ec2_meta *m, const char *dev)
{
	size_t i;

	for (i = 0; m->volumes && i < json_object_array_length(m->volumes); i++)
		if (strcmp(req_str0(json_object_array_get_idx(m->volumes, i), "Device"), dev) == 0)
			return json_object_array_get_idx(m->volumes, i);
	return NULL;
}

/* Checks what c asks of in without changing anything; for a new type, *type is it. */
static int change_check(struct ec2_ctx *ctx, struct inst *in, const struct change *c,
			const struct instance_type **type, struct ec2_error *err)
{
	size_t i;

	if (c->a->stopped && cond_of(in) != EC2_COND_STOPPED) {
		ec2_error_set(err, EC2_ERR_INCORRECT_STATE,
			      "The instance '%s' is not in the 'stopped' state.", in->id);
		return -1;
	}
	switch (c->a->id) {
	case A_INSTANCE_TYPE: {
		long one = 1;

		*type = type_lookup(ctx->types, c->s, NULL);
		if (!*type) {
			ec2_error_set(err, ERR_ATTRIBUTE_VALUE,
				      "Value (%s) for parameter instanceType is invalid. Unknown "
				      "instance type.", c->s);
			return -1;
		}
		if (virDomainHasManagedSaveImage(in->dom, 0) == 1) {
			/* Its memory image is of the old size: it must resume first. */
			ec2_error_set(err, EC2_ERR_INCORRECT_STATE, "The instance '%s' is hibernated: "
				      "start it before changing its type.", in->id);
			return -1;
		}
		if (in->meta.hibernation && !(*type)->hibernation_supported) {
			ec2_error_set(err, EC2_ERR_HIBERNATION_UNSUPPORTED,
				      "Hibernation is not supported for the instance type %s",
				      (*type)->name);
			return -1;
		}
		/* As at start: the instance must fit when it next starts. */
		return fits(ctx, *type, 1, &one, err);
	}
	case A_USER_DATA:
		if (c->s_len > EC2_USER_DATA_MAX) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "User data is limited to %d bytes (this is %zu)",
				      EC2_USER_DATA_MAX, c->s_len);
			return -1;
		}
		return 0;
	case A_SHUTDOWN_BEHAVIOR:
		if (strcmp(c->s, "stop") != 0 && strcmp(c->s, "terminate") != 0) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "Value (%s) for parameter instanceInitiatedShutdownBehavior is "
				      "invalid. Valid values are 'stop' and 'terminate'.", c->s);
			return -1;
		}
		return 0;
	case A_KERNEL:
	case A_RAMDISK:
		ec2_error_set(err, EC2_ERR_UNSUPPORTED_OPERATION, "The instance '%s' is an HVM "
			      "instance: it boots its own kernel, not an AKI or ARI.", in->id);
		return -1;
	case A_SRIOV_NET_SUPPORT:
		if (strcmp(c->s, "simple") != 0) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Value (%s) for parameter "
				      "sriovNetSupport is invalid. Valid value is 'simple'.", c->s);
			return -1;
		}
		ec2_error_set(err, EC2_ERR_UNSUPPORTED_OPERATION, "The instance '%s' has no Intel "
			      "82599 VF interface: its network is ENA's.", in->id);
		return -1;
	case A_EBS_OPTIMIZED:
		if (c->b) {
			ec2_error_set(err, EC2_ERR_INVALID_COMBINATION, "EBS-optimized instances are "
				      "not supported for your requested configuration.");
			return -1;
		}
		return 0;
	case A_ENA_SUPPORT:
		if (!c->b) {
			ec2_error_set(err, EC2_ERR_UNSUPPORTED_OPERATION, "ENA support cannot be "
				      "turned off for the instance '%s': its network interface needs "
				      "it.", in->id);
			return -1;
		}
		return 0;
	case A_BLOCK_DEVICE_MAPPING:
		/* Only DeleteOnTermination, of the root device or an attached volume's. */
		for (i = 0; i < json_object_array_length(c->list); i++) {
			json_object *m = json_object_array_get_idx(c->list, i), *ebs = NULL;
			const char *dev = req_string(m, "DeviceName");
			bool del = true;

			json_object_object_get_ex(m, "Ebs", &ebs);
			if (!dev || (strcmp(dev, "/dev/xvda") != 0 && !volume_entry(&in->meta, dev))) {
				ec2_error_set(err, ERR_ATTRIBUTE_VALUE, "No device is "
					      "currently mapped at %s", dev ? dev : "");
				return -1;
			}
			if (req_bool(ebs, "DeleteOnTermination", &del, err) < 0)
				return -1;
		}
		return 0;
	default:
		return 0;
	}
}

/* The instance's NoCloud seed made again with user data (the meta-data it was launched with
 * kept), and the copy DescribeInstanceAttribute reads. */
static int rewrite_user_data(struct ec2_ctx *ctx, const struct inst *in, const char *data,
			     size_t len, struct ec2_error *err)
{
	char *dir = instance_dir(ctx, in->id), *seed = util_strdupf("%s/seed.iso", dir);
	char *udpath = util_strdupf("%s/user-data", dir), *mdpath = util_strdupf("%s/meta-data", dir);
	char *meta = util_read_file(mdpath, NULL, NULL);
	int rc;

	if (!meta) {
		/* An instance launched before the meta-data was kept: made as its launch did. */
		json_object *keys = NULL;
		char hostname[32], *line = in->meta.key_name[0] ?
					   keypair_public_key(ctx, in->meta.key_name, NULL) : NULL;

		if (line) {
			keys = json_object_new_array();
			json_object_array_add(keys, json_object_new_string(line));
			free(line);
		}
		net_hostname(in->meta.private_ip, hostname, sizeof(hostname));
		meta = seed_meta_data(in->id, hostname, keys);
		json_object_put(keys);
	}
	/* An instance launched with no seed (its image's cloud-init reads IMDS) gets none now. */
	rc = access(seed, F_OK) == 0 ? seed_write(seed, data, len, meta, err) : 0;
	if (rc == 0)
		rc = util_write_file_atomic(udpath, data ? data : "", len, 0600, err);
	free(meta);
	free(mdpath);
	free(udpath);
	free(seed);
	free(dir);
	return rc;
}

/* The domain redefined for type t: vCPUs, memory and TCG cache as a launch of t makes them,
 * everything else as it is; the metadata (in's, type changed) goes with it. */
static int resize(struct inst *in, const struct instance_type *t, struct ec2_error *err)
{
	char old_type[sizeof(in->meta.instance_type)];
	char *xml = NULL, *resized = NULL;
	virDomainPtr dom;
	int rc = -1;

	snprintf(old_type, sizeof(old_type), "%s", in->meta.instance_type);
	snprintf(in->meta.instance_type, sizeof(in->meta.instance_type), "%s", t->name);
	if (ec2_meta_save(in->dom, &in->meta, err) < 0)
		goto out;
	xml = virDomainGetXMLDesc(in->dom, VIR_DOMAIN_XML_INACTIVE);
	if (!xml) {
		ec2_error_set_libvirt(err, "cannot read the domain of '%s'", in->id);
		goto undo;
	}
	resized = domxml_resize(xml, (unsigned)t->vcpus, t->memory_mib,
				type_tb_cache_mib(t->memory_mib), err);
	if (!resized)
		goto undo;
	dom = virDomainDefineXML(virDomainGetConnect(in->dom), resized);
	if (!dom) {
		ec2_error_set_libvirt(err, "cannot redefine the domain of '%s'", in->id);
		goto undo;
	}
	virDomainFree(dom);
	rc = 0;
	goto out;
undo:
	snprintf(in->meta.instance_type, sizeof(in->meta.instance_type), "%s", old_type);
	ec2_meta_save(in->dom, &in->meta, NULL);
out:
	free(resized);
	free(xml);
	return rc;
}

json_object *ec2_modify_instance_attribute(struct ec2_ctx *ctx, json_object *req,
					   struct ec2_error *err)
{
	struct change c;
	const struct instance_type *type = NULL;
	struct inst *v = NULL, *in;
	size_t n = 0, i;
	json_object *resp = NULL, *groups = NULL;
	int rc = 0;

	if (!req_string(req, "InstanceId")) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter InstanceId");
		return NULL;
	}
	if (change_parse(req, &c, err) < 0 || one_live(ctx, req, &v, &n, err) < 0)
		goto out;
	in = &v[0];
	settle(ctx, in);
	if (change_check(ctx, in, &c, &type, err) < 0)
		goto out;
	if (c.a->id == A_GROUP_SET) {
		groups = secgroup_resolve(ctx, c.list, err);
		if (!groups)
			goto out;
	}
	if (ec2_dry_run(req, err))
		goto out;
	switch (c.a->id) {
	case A_INSTANCE_TYPE:
		rc = resize(in, type, err);
		break;
	case A_USER_DATA:
		rc = rewrite_user_data(ctx, in, c.s, c.s_len, err);
		break;
	case A_DISABLE_API_TERMINATION:
		in->meta.disable_api_termination = c.b;
		rc = ec2_meta_save(in->dom, &in->meta, err);
		break;
	case A_DISABLE_API_STOP:
		in->meta.disable_api_stop = c.b;
		rc = ec2_meta_save(in->dom, &in->meta, err);
		break;
	case A_SOURCE_DEST_CHECK:
		in->meta.source_dest_check_off = !c.b;
		rc = ec2_meta_save(in->dom, &in->meta, err);
		break;
	case A_SHUTDOWN_BEHAVIOR:
		snprintf(in->meta.shutdown_behavior, sizeof(in->meta.shutdown_behavior), "%s", c.s);
		rc = ec2_meta_save(in->dom, &in->meta, err);
		break;
	case A_BLOCK_DEVICE_MAPPING:
		for (i = 0; i < json_object_array_length(c.list); i++) {
			json_object *m = json_object_array_get_idx(c.list, i), *e;
			bool del = true;

			req_bool(json_object_object_get(m, "Ebs"), "DeleteOnTermination", &del, NULL);
			if (strcmp(req_str0(m, "DeviceName"), "/dev/xvda") == 0)
				in->meta.root_keep = !del;
			else if ((e = volume_entry(&in->meta, req_str0(m, "DeviceName"))))
				json_add_bool(e, "DeleteOnTermination", del);
		}
		rc = ec2_meta_save(in->dom, &in->meta, err);
		break;
	case A_GROUP_SET:
		json_object_put(in->meta.groups);
		in->meta.groups = groups;
		groups = NULL;
		rc = ec2_meta_save(in->dom, &in->meta, err);
		/* The forwards follow the new groups' rules, as when a rule changes. */
		if (rc == 0)
			net_sync_since(ctx, util_monotonic(), NULL);
		break;
	default: /* set to what it is: nothing to change */
		break;
	}
	if (rc == 0)
		resp = json_object_new_object();
out:
	json_object_put(groups);
	free(c.owned);
	insts_free(v, n);
	return resp;
}

json_object *ec2_get_password_data(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	json_object *resp = NULL;
	struct inst *v = NULL;
	size_t n = 0;
	char now[32];

	if (resolve_one(ctx, req, &v, &n, err) == 0) {
		/* A Linux instance has no Windows password: EC2 answers with an empty one. */
		resp = json_object_new_object();
		json_add_str(resp, "InstanceId", v[0].id);
		json_add_str(resp, "PasswordData", "");
		util_iso8601(time(NULL), now, sizeof(now));
		json_add_str(resp, "Timestamp", now);
	}
	insts_free(v, n);
	return resp;
}
