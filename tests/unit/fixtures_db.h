/* A fresh nimbusd database in its own temporary directory, for the unit
 * tests of db*.c (test_db.c, test_db_storage.c). Header only. */
#ifndef NIMBUS_TESTS_FIXTURES_DB_H
#define NIMBUS_TESTS_FIXTURES_DB_H

#include <stdio.h>
#include <stdlib.h>

#include "../../confignode/db.h"

struct fx {
	char dir[64];
	char path[96];   /* dir/nimbus.db */
	struct db *db;
};

/* cmocka setup: *state becomes the fixture; name names the directory. */
static inline int fixture_db_setup(void **state, const char *name)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/%s.XXXXXX", name);
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/nimbus.db", f->dir);
	if (db_open(f->path, &f->db) < 0)
		return -1;
	*state = f;
	return 0;
}

static inline int fixture_db_teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	db_close(f->db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

#endif
