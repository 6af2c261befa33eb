/* The real OpenStack control plane of ../shared/openstack for tests: started if it is not
 * already up (and then stopped again by osh_down), its OS_* variables exported, and the
 * `openstack` CLI run with JSON output. */
#ifndef LS_TESTS_OSH_H
#define LS_TESTS_OSH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/** Brings the control plane up (WORKDIR /tmp/osh unless LS_OSH_DIR says otherwise; the
 *  harness ../shared/openstack beside the checkout unless LS_OPENSTACK_HARNESS names its
 *  directory). Returns true when it answers; false with the reason in why (not root, no
 *  harness, it failed: see osh_skippable). */
bool osh_up(char *why, size_t cap);
/** After osh_up or osh_up_with_kafka returned false: true when the control plane cannot run
 *  here (no harness, not root) — its tests skip; false when the harness is here and we are
 *  root but it did not come up (up.sh failed, no openrc) — its tests fail. */
bool osh_skippable(void);
/** Stops it if osh_up started it. */
void osh_down(void);
/** (Re)starts it fresh (OSH_FRESH=1) with extra up.sh settings: env is shell assignments such
 *  as "OSH_SCHED_CONF='/tmp/x.conf' OSH_WATCHER=1", what says it in the log ("with ...").
 *  false with the reason in why (see osh_skippable). osh_restore puts it back afterwards. */
bool osh_up_fresh(const char *env, const char *what, char *why, size_t cap);
/** osh_up_fresh with its notifications sent to the Kafka broker at bootstrap
 *  (OSH_NOTIFY_KAFKA). */
bool osh_up_with_kafka(const char *bootstrap, char *why, size_t cap);
/** After osh_up_fresh: restarts it fresh without the extra settings if it was up before, or
 *  stops it. */
void osh_restore(void);
/** The control plane's WORKDIR (its logs are in WORKDIR/log); after osh_up or osh_up_fresh. */
const char *osh_workdir(void);
/** Writes a clouds.yaml with a cloud named `name` for the control plane into path. */
void osh_write_clouds_yaml(const char *path, const char *name);
struct ls_service;
/** Starts a private Postgres and landscaped with a clouds.yaml for this control plane (cloud
 *  "osh", OS_CLIENT_CONFIG_FILE set) and the given extra arguments. 0, or -1. */
int osh_landscape_start(struct ls_service *svc, const char *const *args);
/** Undoes osh_landscape_start; first deletes the server vm_id when it is not "" (a failed run
 *  must not leave its server behind). 0 when landscaped exited cleanly (no leak, no crash). */
int osh_landscape_stop(struct ls_service *svc, const char *vm_id);

/** The dst of node id's runs_on edge in landscaped (GET /v1/edges), "" when it has none, into
 *  out. Returns the number of such edges (a server runs on one host), or -1 when the request
 *  failed. */
int osh_runs_on(struct ls_service *svc, const char *id, char *out, size_t cap);

/** Runs `openstack <args> -f json` (args printf-style) and parses the output; NULL (and the
 *  output printed) when the command fails. */
json_t *osh_cli_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Runs `openstack <args>`; returns the exit status (output printed when non-zero). */
int osh_cli(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Boots a small server named `name` and waits for it; its id into id. false when it failed. */
bool osh_boot(const char *name, char *id, size_t cap);
/** A fake compute host other than `host` (a live migration's target), into out. */
void osh_other_host(const char *host, char *out, size_t cap);

#endif
