/* nimbusd's instances: templates (a volume an instance's disk is cloned
 * from), instances (where each should run and in which state), their live
 * migrations and their history. The hardware nodes' desired-state
 * generations and last observed state share storage_state with the storage
 * nodes (db_storage.h): one row per node that runs an agent. Same rules as
 * db.h: 0 or a negative errno (-ENOENT, -EEXIST, -EBUSY, -EIO). */
#ifndef NIMBUS_DB_INSTANCE_H
#define NIMBUS_DB_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/host_msg.h"
#include "db.h"

struct db_template {
	char name[HMSG_NAME_MAX];
	char volume[HMSG_NAME_MAX];     /* the read-only volume holding it */
	int64_t created;
};

enum db_inst_desired {
	DB_INST_RUNNING = 0,
	DB_INST_STOPPED,
	DB_INST_DELETING,               /* undefined on its node, then the row goes */
};

struct db_instance {
	char name[HMSG_NAME_MAX];
	char template_[HMSG_NAME_MAX];  /* "" when its template was removed */
	char volume[HMSG_NAME_MAX];     /* its disk */
	uint32_t memory_mib, vcpus;
	uint8_t mac[6];
	uint8_t uuid[16];
	uint32_t ip, gw;                /* host order; 0: none */
	uint8_t prefix;
	char node[HMSG_NAME_MAX];       /* where it should run; "" nowhere */
	enum db_inst_desired desired;
	enum hmsg_stop_mode stop;
	uint32_t stop_timeout_s;
	uint64_t reboot_seq;
	bool keep_disk;                 /* DELETING: leave the volume */
	int64_t created;
};

enum db_mig_state { DB_MIG_RUNNING = 0, DB_MIG_DONE, DB_MIG_FAILED };

struct db_migration {
	uint64_t id;
	char instance[HMSG_NAME_MAX];
	char src[HMSG_NAME_MAX], dst[HMSG_NAME_MAX];
	enum db_mig_state state;
	int64_t started, ended;         /* unix s */
	int64_t total_ms;               /* as the source's agent measured it */
	char error[HMSG_DETAIL_MAX];
};

struct db_inst_event {
	char node[HMSG_NAME_MAX];
	char text[HMSG_DETAIL_MAX];
	int64_t at;                     /* unix s */
};

const char *db_inst_desired_name(enum db_inst_desired d);
const char *db_mig_state_name(enum db_mig_state s);

/* Templates. insert: -EEXIST (name or volume taken). delete: -EBUSY while
 * an instance names it (db_template_users says which). */
int db_template_insert(struct db *db, const struct db_template *t);
int db_template_get(struct db *db, const char *name, struct db_template *out);
int db_template_by_volume(struct db *db, const char *volume, struct db_template *out);
int db_template_list(struct db *db, struct db_template **out, size_t *n);
int db_template_delete(struct db *db, const char *name);
int db_template_users(struct db *db, const char *name, char *names, size_t len);

/* Instances. list: by name; node NULL = all. by_volume: the instance whose
 * disk it is, -ENOENT if none. */
int db_instance_insert(struct db *db, const struct db_instance *in);
int db_instance_get(struct db *db, const char *name, struct db_instance *out);
int db_instance_by_volume(struct db *db, const char *volume, struct db_instance *out);
int db_instance_list(struct db *db, const char *node, struct db_instance **out, size_t *n);
int db_instance_set_desired(struct db *db, const char *name, enum db_inst_desired d,
			    enum hmsg_stop_mode stop, bool keep_disk);
int db_instance_set_node(struct db *db, const char *name, const char *node);
int db_instance_bump_reboot(struct db *db, const char *name);
int db_instance_delete(struct db *db, const char *name);
/* Whether mac or uuid is taken by another instance (1), or not (0). */
int db_instance_mac_taken(struct db *db, const uint8_t mac[6]);
int db_instance_ip_taken(struct db *db, uint32_t ip);

/* Migrations. insert: -EEXIST while another runs for the instance; sets
 * m->id. running: the one running for an instance, -ENOENT if none. */
int db_migration_insert(struct db *db, struct db_migration *m);
int db_migration_running(struct db *db, const char *instance, struct db_migration *out);
int db_migration_list_running(struct db *db, struct db_migration **out, size_t *n);
int db_migration_finish(struct db *db, uint64_t id, enum db_mig_state state, int64_t ended,
			int64_t total_ms, const char *error);
/* The instance's last n migrations, newest first. */
int db_migration_history(struct db *db, const char *instance, size_t max,
			 struct db_migration **out, size_t *n);

/* History: what happened to an instance, oldest first (the last max). */
int db_inst_event_add(struct db *db, const char *instance, const char *node, const char *text,
		      int64_t at);
int db_inst_events(struct db *db, const char *instance, size_t max, struct db_inst_event **out,
		   size_t *n);
/* The agent events of a node already recorded: the agent's start and its
 * last seq (0, 0 for none). */
int db_host_seen_get(struct db *db, const char *node, int64_t *started_ms, uint64_t *seq);
int db_host_seen_set(struct db *db, const char *node, int64_t started_ms, uint64_t seq);

/* Every node whose desired state names the instance now: bumps its node's
 * generation and, while a migration runs, the target's. */
int db_instance_bump_nodes(struct db *db, const char *name);

#endif
