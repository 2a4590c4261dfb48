/* The API server's view of instances, images and security groups: what DescribeInstances,
 * DescribeImages and DescribeSecurityGroups answer, kept in memory.
 *
 * `serve` answers the three describes from what it keeps (ec2_instances_described,
 * ec2_images_described, ec2_security_groups_described: the first halves of the model's
 * describes) rather than by reading every domain's metadata or the store per request: readers
 * take a reference to an immutable snapshot and never wait for libvirt, the store, the model's
 * lock or each other. Each kind has snapshots of its own (a new image does not make the
 * instances' anew). A snapshot is replaced, never changed, by three writers, all under the
 * model's lock (the server's ctx lock):
 *   - the server's own writes (api_view_written), before their answer goes out, so that a client
 *     that saw a write acknowledged sees it in its next describe;
 *   - libvirt's domain events (lifecycle, metadata changes), which mark instances to reload;
 *   - a full reload every few seconds (VIEW_RESYNC_MS), which catches what events miss: other
 *     processes' changes to the store (the CLI's terminations, images and groups), events lost
 *     with a connection, an image whose job ended (available, or failed when its worker died).
 * Every writer reads libvirt and the store while it holds the model's lock, so a later snapshot
 * is never older than an earlier one. Answers are built by the model's own second halves
 * (ec2_describe_instances_from, ec2_describe_images_from, ec2_describe_security_groups_from), so
 * they are the model's to the byte for the same state. */
#ifndef EC2LITE_API_VIEW_H
#define EC2LITE_API_VIEW_H

#include <pthread.h>

#include "api.h"
#include "ec2lite/ec2.h"

#define VIEW_RESYNC_MS 2000

struct api_view;

/* A view of ctx's instances, images and groups, loaded once (under ctx_lock) before it returns.
 * ctx stays the caller's: the view uses it only while it holds ctx_lock, and readers read only
 * ctx->cfg. NULL with err when libvirt or the store cannot be read. */
struct api_view *api_view_new(struct ec2_ctx *ctx, pthread_mutex_t *ctx_lock,
			      struct ec2_error *err);
/* Follows domain events on ctx's connection (when its event loop is registered: ec2_ctx_open's
 * EC2_CTX_EVENTS; otherwise only the periodic reload) and starts the thread that applies them
 * and reloads every VIEW_RESYNC_MS. */
void api_view_start(struct api_view *v);
/* Stops following events and joins the thread; api_view_free calls it. Before the event loop
 * stops running, so that a dispatch in progress can end. */
void api_view_stop(struct api_view *v);
/* Stops it and frees it; NULL is fine. */
void api_view_free(struct api_view *v);

/* Whether the view answers action (by its EC2 name): DescribeInstances, DescribeImages and
 * DescribeSecurityGroups. */
bool api_view_serves(const char *action);
/* Action (one the view serves) from the view, DryRun included: what ec2_action(action) answers
 * for the same state (DescribeInstances without its reconcile pass: the server's reconciler
 * makes one every second). InvalidAction for an action the view does not serve. Safe in any
 * thread, at any time; it takes no lock but a snapshot's reference. */
json_object *api_view_describe(struct api_view *v, const char *action, json_object *req,
			       struct ec2_error *err);
/* The same answer as EC2's XML (api_response_xml for action a, with request_id; caller frees,
 * *len gets its length), or NULL with err. The answer to the plain request (no parameter) is
 * rendered once per snapshot, before it is published, and copied; any other is rendered from a
 * private copy of the snapshot that readers reuse in turn. Safe in any thread, at any time. */
char *api_view_describe_xml(struct api_view *v, const struct api_action *a, json_object *req,
			    const char *request_id, size_t *len, struct ec2_error *err);

/* After the model's action (by its EC2 name) was called with req and answered resp (NULL when it
 * failed): the instances it named or made are reloaded into the view before the caller answers
 * (all of them after a write that names none, which may still touch them: a security group's
 * rules move public addresses), and so are the images and the groups unless the action is one
 * that changes neither (an instance's state, addresses, key pairs, volumes; tags of instances
 * only); a reload that finds what the view has publishes nothing. Read-only actions are no-ops.
 * The caller holds ctx_lock. When a reload fails (libvirt or the store failing just then), the
 * refresher reloads everything as soon as it gets ctx_lock instead of at its next period. */
void api_view_written(struct api_view *v, const char *action, json_object *req, json_object *resp);

/* For tests: the number of snapshots published so far (the first included). */
unsigned long api_view_generation(struct api_view *v);
/* For tests: marks instance id to be reloaded, as a domain event does. */
void api_view_mark(struct api_view *v, const char *id);
/* For tests: reloads everything now (instances, images, groups), as the refresher does every
 * VIEW_RESYNC_MS; takes ctx_lock. */
void api_view_resync(struct api_view *v);

#endif
