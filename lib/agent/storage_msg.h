/* The storage agent's messages: what nimbusd tells a storage node it should
 * be (desired state), what the node says it is (observed state), and the
 * fence request DRBD's fence-peer handler makes through the agent when a
 * pair loses its replication link. All three are JSON over HTTP
 * (docs/storage-agent.md gives the endpoints and every field).
 *
 * Encoding and decoding are pure functions (no I/O), used by nimbusd and by
 * nimbus-storaged alike, table-tested and fuzzed: both ends run the same
 * rules. A decoder checks every field (type, range, allowed characters) and
 * on failure returns -EINVAL with a message naming the field. */
#ifndef NIMBUS_STORAGE_MSG_H
#define NIMBUS_STORAGE_MSG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mac.h"

#define SMSG_NAME_MAX      64    /* DNS label (<= 63) + NUL */
#define SMSG_DEV_MAX       64    /* "/dev/sdb" */
#define SMSG_DETAIL_MAX    256   /* free text for an operator, printable */
#define SMSG_RESOURCE_MAX  8192  /* one DRBD resource file */
#define SMSG_MAX_VOLUMES   1024  /* per pair */
#define SMSG_MAX_DISKS     64    /* per node */
#define SMSG_ERR_MAX       160   /* a decoder's message */

/* AoE addresses: shelf 0..65534 (65535 is the broadcast wildcard), slot
 * 0..254 (255 likewise). */
#define SMSG_SHELF_MAX 65534
#define SMSG_SLOT_MAX  254
#define SMSG_MINOR_MAX 1048575   /* DRBD 8.4 minors are 20 bits */

enum smsg_volume_kind {
	SMSG_VOLUME_PLAIN = 0,     /* read-write, replicated */
	SMSG_VOLUME_SNAPSHOT,      /* read-only, frozen copy of another volume */
	SMSG_VOLUME_CLONE,         /* read-write, replicated, made as a copy of another volume */
};

/* One volume as the node should have it. */
struct smsg_want_volume {
	char name[SMSG_NAME_MAX];
	enum smsg_volume_kind kind;
	char origin[SMSG_NAME_MAX];        /* snapshot: the volume it froze; clone: the
					    * volume it was copied from; else "" */
	uint64_t size_bytes;               /* a multiple of 512 */
	uint16_t shelf;                    /* AoE address, unique in the cloud */
	uint8_t slot;
	uint32_t minor;                    /* DRBD minor, unique on the pair */
	uint16_t port;                     /* DRBD replication port, unique on the pair
					    * (0 for a snapshot) */
	bool export;                       /* false: keep it, but aoetd must not serve it */
	char resource[SMSG_RESOURCE_MAX];  /* the DRBD resource file (gen_drbd), "" for a snapshot */
};

/* nimbusd -> agent: GET /v1/storage/desired. */
struct smsg_desired {
	char node[SMSG_NAME_MAX];
	uint64_t generation;               /* grows with every change for this node */
	char pair[SMSG_NAME_MAX];          /* "" while the node is in no pair */
	char peer[SMSG_NAME_MAX];
	struct in_addr repl_self;          /* replication link addresses */
	struct in_addr repl_peer;
	struct smsg_want_volume *volumes;  /* n_volumes entries, malloc()ed */
	size_t n_volumes;
};

enum smsg_disk_state {
	SMSG_DISK_CLAIMED = 0,  /* a PV of the node's volume group */
	SMSG_DISK_BLANK,        /* all zero, no signature: will be claimed */
	SMSG_DISK_FOREIGN,      /* holds something else: never touched */
};

struct smsg_disk {
	char dev[SMSG_DEV_MAX];
	enum smsg_disk_state state;
	uint64_t size_bytes;
	char detail[SMSG_DETAIL_MAX];      /* why foreign ("dos partition table") */
};

/* DRBD 8.4's own words (drbdsetup status / events2), kept as they are so an
 * operator finds them in DRBD's documentation. */
enum smsg_drbd_role { SMSG_ROLE_UNKNOWN = 0, SMSG_ROLE_PRIMARY, SMSG_ROLE_SECONDARY };
enum smsg_drbd_disk {
	SMSG_DSK_DISKLESS = 0, SMSG_DSK_ATTACHING, SMSG_DSK_FAILED, SMSG_DSK_NEGOTIATING,
	SMSG_DSK_INCONSISTENT, SMSG_DSK_OUTDATED, SMSG_DSK_DUNKNOWN, SMSG_DSK_CONSISTENT,
	SMSG_DSK_UPTODATE,
};
enum smsg_drbd_conn {
	SMSG_CONN_STANDALONE = 0, SMSG_CONN_DISCONNECTING, SMSG_CONN_UNCONNECTED,
	SMSG_CONN_TIMEOUT, SMSG_CONN_BROKENPIPE, SMSG_CONN_NETWORKFAILURE,
	SMSG_CONN_PROTOCOLERROR, SMSG_CONN_TEARDOWN, SMSG_CONN_WFCONNECTION,
	SMSG_CONN_WFREPORTPARAMS, SMSG_CONN_CONNECTED, SMSG_CONN_STARTINGSYNCS,
	SMSG_CONN_STARTINGSYNCT, SMSG_CONN_WFBITMAPS, SMSG_CONN_WFBITMAPT,
	SMSG_CONN_WFSYNCUUID, SMSG_CONN_SYNCSOURCE, SMSG_CONN_SYNCTARGET,
	SMSG_CONN_PAUSEDSYNCS, SMSG_CONN_PAUSEDSYNCT, SMSG_CONN_VERIFYS,
	SMSG_CONN_VERIFYT,
};

/* One volume as the node has it. */
struct smsg_have_volume {
	char name[SMSG_NAME_MAX];
	bool lv;                           /* its logical volume exists */
	uint64_t size_bytes;               /* the LV's size (0 without one) */
	bool drbd;                         /* its DRBD resource is up */
	enum smsg_drbd_role role, peer_role;
	enum smsg_drbd_disk disk, peer_disk;
	enum smsg_drbd_conn conn;
	double sync_percent;               /* 0..100; 100 when not resyncing */
	int64_t sync_eta_s;                /* -1: unknown or not resyncing */
	bool exported;                     /* aoetd serves it */
	char error[SMSG_DETAIL_MAX];       /* the last step that failed, "" if none */
};

/* agent -> nimbusd: POST /v1/storage/observed. */
struct smsg_observed {
	uint8_t mac[MAC_LEN];              /* the boot NIC: the node's identity */
	char node[SMSG_NAME_MAX];
	uint64_t generation;               /* the desired state converged to */
	bool vg;                           /* the volume group exists */
	uint64_t vg_size, vg_free;         /* bytes */
	uint64_t pool_size, pool_used;     /* the thin pool, bytes */
	struct smsg_disk disks[SMSG_MAX_DISKS];
	size_t n_disks;
	struct smsg_have_volume *volumes;  /* n_volumes entries, malloc()ed */
	size_t n_volumes;
};

/* DRBD's fence-peer handler -> agent -> nimbusd: POST /v1/storage/fence.
 * The node lost its peer for VOLUME and asks to be the one that goes on. */
struct smsg_fence_req {
	uint8_t mac[MAC_LEN];
	char node[SMSG_NAME_MAX];
	char volume[SMSG_NAME_MAX];
};

struct smsg_fence_reply {
	bool granted;                      /* true: go on, the peer is outdated */
	char reason[SMSG_DETAIL_MAX];      /* why not, or who holds it */
};

/* Names: what DRBD, LVM and nimbusd all accept as a volume, node or pair
 * name - a lower-case DNS label ([a-z0-9-], '-' not first or last), 1..63,
 * the rule nimbusd applies to node names. */
bool smsg_name_ok(const char *s);

/* A volume kind's word in the messages and nimbusd's database ("volume",
 * "snapshot", "clone"); parse: -EINVAL for another word. replicated: the
 * kind has a DRBD resource of its own (a volume or a clone), as opposed to
 * a snapshot, which is a local read-only LV. */
const char *smsg_volume_kind_name(enum smsg_volume_kind k);
int smsg_volume_kind_parse(const char *s, enum smsg_volume_kind *out);
bool smsg_kind_replicated(enum smsg_volume_kind k);

const char *smsg_disk_state_name(enum smsg_disk_state s);
const char *smsg_role_name(enum smsg_drbd_role r);
const char *smsg_dsk_name(enum smsg_drbd_disk d);
const char *smsg_conn_name(enum smsg_drbd_conn c);
/* The reverse: -EINVAL for a word that is not one of DRBD's. */
int smsg_role_parse(const char *s, enum smsg_drbd_role *out);
int smsg_dsk_parse(const char *s, enum smsg_drbd_disk *out);
int smsg_conn_parse(const char *s, enum smsg_drbd_conn *out);

/* Encoders: *json is malloc()ed, the caller frees it. 0, -EINVAL (a field
 * that its decoder would refuse: nothing invalid leaves either end) or
 * -ENOMEM. */
int smsg_desired_encode(const struct smsg_desired *d, char **json);
int smsg_observed_encode(const struct smsg_observed *o, char **json);
int smsg_fence_req_encode(const struct smsg_fence_req *r, char **json);
int smsg_fence_reply_encode(const struct smsg_fence_reply *r, char **json);

/* Decoders: text of len bytes (need not be NUL-terminated). 0, or -EINVAL
 * with err naming the field, or -ENOMEM. A decoded message owns its
 * volumes array: free it with the matching _free (also after a failure). */
int smsg_desired_decode(const char *text, size_t len, struct smsg_desired *d,
			char err[SMSG_ERR_MAX]);
int smsg_observed_decode(const char *text, size_t len, struct smsg_observed *o,
			 char err[SMSG_ERR_MAX]);
int smsg_fence_req_decode(const char *text, size_t len, struct smsg_fence_req *r,
			  char err[SMSG_ERR_MAX]);
int smsg_fence_reply_decode(const char *text, size_t len, struct smsg_fence_reply *r,
			    char err[SMSG_ERR_MAX]);

void smsg_desired_free(struct smsg_desired *d);
void smsg_observed_free(struct smsg_observed *o);

#endif
