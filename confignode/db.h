/* nimbusd's state: one SQLite database (WAL), a versioned schema applied by
 * numbered migrations recorded in schema_migrations. Every function returns
 * 0 or a negative errno: -ENOENT (no such row), -EEXIST (a unique key is
 * taken), -EIO (SQLite failed; logged with the statement). */
#ifndef NIMBUS_DB_H
#define NIMBUS_DB_H

#include <stddef.h>
#include <stdint.h>

#include "mac.h"
#include "node_state.h"
#include "provision.h"
#include "validate.h"

struct db;

struct db_node {
	char name[PROV_NAME_MAX];
	uint8_t mac[MAC_LEN];
	uint32_t ip;                 /* host byte order */
	enum node_role role;
	char image[PROV_NAME_MAX];   /* override; "" = the role's default */
	enum node_state state;
	int64_t state_at;            /* last state change */
	int64_t seen_at;             /* last sign of life (event or report) */
	int64_t created;
};

struct db_event {
	int64_t id;
	char node[PROV_NAME_MAX];
	char event[32];
	char detail[256];
	int64_t at;
};

struct db_discovered {
	uint8_t mac[MAC_LEN];
	uint32_t ip;                 /* source address of the last report */
	int cpus;
	int64_t memory_mb;
	char *nics_json;             /* JSON array text, malloc'd (db_discovered_free) */
	char *info_json;             /* JSON object text, malloc'd */
	int64_t first_seen, last_seen;
};

int db_open(const char *path, struct db **out);
/* Migrates only up to schema version upto (tests of the migrations). */
int db_open_version(const char *path, int upto, struct db **out);
void db_close(struct db *db);
int db_schema_version(struct db *db);

/* Transactions nest by counting: only the outermost commits. */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);

/* Nodes */
int db_node_insert(struct db *db, const struct db_node *n);
int db_node_update(struct db *db, const char *old_name, const struct db_node *n);
int db_node_delete(struct db *db, const char *name);
int db_node_get(struct db *db, const char *name, struct db_node *out);
int db_node_by_mac(struct db *db, const uint8_t mac[MAC_LEN], struct db_node *out);
int db_node_by_ip(struct db *db, uint32_t ip, struct db_node *out);
/* All nodes ordered by name; *out malloc'd (free()). */
int db_node_list(struct db *db, struct db_node **out, size_t *n);
/* The node's last report as JSON text ("{}" before any); get: malloc'd. */
int db_node_set_report(struct db *db, const char *name, const char *json);
int db_node_get_report(struct db *db, const char *name, char **json);
/* How many nodes override their role's image with image; their names,
 * comma-separated (", ..." when they do not fit), in names when not NULL. */
int db_node_count_image(struct db *db, const char *image, char *names, size_t len);

/* Events (a node's history); removed with the node. */
int db_event_add(struct db *db, const char *node, const char *event,
		 const char *detail, int64_t at);
int db_event_list(struct db *db, const char *node, struct db_event **out, size_t *n);

/* Images */
int db_image_insert(struct db *db, const struct prov_image *img, int64_t now);
int db_image_update(struct db *db, const struct prov_image *img); /* by img->name */
int db_image_delete(struct db *db, const char *name);
int db_image_get(struct db *db, const char *name, struct prov_image *out);
int db_image_list(struct db *db, struct prov_image **out, size_t *n);

/* Roles: every role exists; image "" = no default yet. */
int db_role_get(struct db *db, enum node_role role, char image[PROV_NAME_MAX]);
int db_role_set(struct db *db, enum node_role role, const char *image);

/* Discovered machines (unknown MACs that reported in). */
int db_discovered_upsert(struct db *db, const struct db_discovered *d);
int db_discovered_get(struct db *db, const uint8_t mac[MAC_LEN], struct db_discovered *out);
int db_discovered_delete(struct db *db, const uint8_t mac[MAC_LEN]);
int db_discovered_clear(struct db *db); /* how many were removed, or -EIO */
int db_discovered_list(struct db *db, struct db_discovered **out, size_t *n);
int db_discovered_count(struct db *db); /* >= 0, or -EIO */
void db_discovered_free(struct db_discovered *d);              /* one */
void db_discovered_free_list(struct db_discovered *d, size_t n); /* a list */

#endif
