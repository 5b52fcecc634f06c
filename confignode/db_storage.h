/* nimbusd's storage state: pairs of storage nodes, replicated volumes and
 * snapshots on them, each node's last observed storage state with the
 * generation of its desired state, and who holds a volume's fence. Same
 * rules as db.h: 0 or a negative errno (-ENOENT, -EEXIST, -EIO). */
#ifndef NIMBUS_DB_STORAGE_H
#define NIMBUS_DB_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "agent/storage_msg.h"
#include "db.h"

struct db_pair {
	char name[SMSG_NAME_MAX];
	char node[2][SMSG_NAME_MAX];    /* members, in the order they were given */
	uint32_t repl_ip[2];            /* their replication addresses, host order */
	int64_t created;
};

enum db_import_state {
	DB_IMPORT_NONE = 0,             /* made by create or snapshot */
	DB_IMPORT_RUNNING,              /* nimbusd is writing the file into it */
	DB_IMPORT_DONE,
	DB_IMPORT_FAILED,
};

#define DB_IMPORT_FILE_MAX 1024      /* longer paths are refused */
#define DB_IMPORT_ERROR_MAX 256

struct db_import {
	enum db_import_state state;
	char file[DB_IMPORT_FILE_MAX];  /* absolute path on the config node */
	uint64_t done, total;           /* bytes */
	char error[DB_IMPORT_ERROR_MAX];
};

struct db_volume {
	char name[SMSG_NAME_MAX];
	char pair[SMSG_NAME_MAX];
	enum smsg_volume_kind kind;
	char origin[SMSG_NAME_MAX];     /* snapshot: the volume it froze */
	uint64_t size;                  /* bytes, a multiple of 512 */
	uint16_t shelf;
	uint8_t slot;
	uint32_t minor;
	uint16_t port;
	int64_t ready_at;               /* first time both nodes served it; 0 never */
	int64_t created;
	struct db_import import;
};

struct db_fence {
	char volume[SMSG_NAME_MAX];
	char node[SMSG_NAME_MAX];       /* the node granted to go on alone */
	int64_t at;
};

/* Pairs. insert: -EEXIST when the name is taken or a node is in a pair
 * already (check db_pair_of_node first to say which); -EINVAL when a member
 * is not a storage node or both are the same. delete: -ENOENT, -EBUSY while
 * it holds volumes. */
int db_pair_insert(struct db *db, const struct db_pair *p);
int db_pair_delete(struct db *db, const char *name);
int db_pair_get(struct db *db, const char *name, struct db_pair *out);
int db_pair_list(struct db *db, struct db_pair **out, size_t *n); /* by name */
/* The pair a node is in, and its index (0 or 1) there; -ENOENT if none. */
int db_pair_of_node(struct db *db, const char *node, struct db_pair *out, int *idx);

/* Volumes. list: by name; pair NULL = every pair. */
int db_volume_insert(struct db *db, const struct db_volume *v);
int db_volume_get(struct db *db, const char *name, struct db_volume *out);
int db_volume_list(struct db *db, const char *pair, struct db_volume **out, size_t *n);
int db_volume_set_size(struct db *db, const char *name, uint64_t size);
int db_volume_set_ready(struct db *db, const char *name, int64_t at);
/* The import's state, progress and error (as in v->import); -ENOENT. */
int db_volume_set_import(struct db *db, const char *name, const struct db_import *im);
/* Every import still 'importing' becomes 'failed' with error: what a
 * start of nimbusd does, as no import survives it. Returns how many. */
int db_volume_fail_imports(struct db *db, const char *error);
const char *db_import_state_name(enum db_import_state s);
/* -ENOENT, or -EBUSY while a snapshot depends on it. */
int db_volume_delete(struct db *db, const char *name);
/* How many snapshots freeze origin; their names, comma-separated, in names. */
int db_volume_snapshots(struct db *db, const char *origin, char *names, size_t len);

/* Each storage node's desired-state generation and last observed state.
 * get: a node never seen has generation 1, observed "" and at 0; *observed
 * malloc()ed (NULL allowed: not wanted). */
int db_storage_bump(struct db *db, const char *node);
int db_storage_bump_pair(struct db *db, const char *pair);
int db_storage_get(struct db *db, const char *node, uint64_t *generation,
		   char **observed, int64_t *at);
int db_storage_set_observed(struct db *db, const char *node, const char *json, int64_t at);

/* Fences: at most one holder per volume. set: -EEXIST when held. */
int db_fence_get(struct db *db, const char *volume, struct db_fence *out);
int db_fence_set(struct db *db, const char *volume, const char *node, int64_t at);
int db_fence_clear(struct db *db, const char *volume); /* -ENOENT: none */
int db_fence_list(struct db *db, const char *pair, struct db_fence **out, size_t *n);

#endif
