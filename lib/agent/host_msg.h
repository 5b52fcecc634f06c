/* The hardware-node agent's messages: what nimbusd tells a hardware node's
 * dom0 it should run (desired state), what the dom0 says it runs (observed
 * state), and the dom0's request for its libvirt certificate and nimbusd's
 * answer. All are JSON over HTTP on nimbusd's report listener
 * (docs/host-agent.md gives the endpoints and every field); the agent,
 * nimbus-hostd, only ever connects out, so no control endpoint listens on
 * a hardware node for it (docs/architecture.md, "The hypervisor control
 * path").
 *
 * Encoding and decoding are pure functions (no I/O), used by nimbusd and
 * by nimbus-hostd alike, table-tested and fuzzed. A decoder checks every
 * field (type, range, allowed characters) and on failure returns -EINVAL
 * with a message naming the field ("instances[2].memory_mib: ..."). The
 * names, text rules and limits are storage_msg.h's. */
#ifndef NIMBUS_HOST_MSG_H
#define NIMBUS_HOST_MSG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mac.h"
#include "storage_msg.h"

#define HMSG_NAME_MAX       SMSG_NAME_MAX
#define HMSG_DETAIL_MAX     SMSG_DETAIL_MAX
#define HMSG_ERR_MAX        SMSG_ERR_MAX
#define HMSG_XML_MAX        16384   /* one libvirt domain XML (gen_domain) */
#define HMSG_VERSION_MAX    32      /* "4.17.5-pre" */
#define HMSG_MAX_INSTANCES  512     /* per hardware node */
#define HMSG_MAX_TARGETS    1024    /* AoE devices a dom0 sees */
#define HMSG_MAX_PATHS      16      /* per AoE device */
#define HMSG_MEMORY_MAX_MIB (16u * 1024u * 1024u)  /* 16 TiB */
#define HMSG_VCPUS_MAX      512u

/* What nimbusd wants of an instance on this node. */
enum hmsg_want_state {
	HMSG_WANT_RUNNING = 0,   /* defined and running; started if not */
	HMSG_WANT_STOPPED,       /* defined, not running: shut down (then destroyed) */
	HMSG_WANT_INCOMING,      /* arriving by live migration: define nothing, start nothing */
	HMSG_WANT_ABSENT,        /* destroyed if running, then undefined */
};

/* How a running instance is stopped when HMSG_WANT_STOPPED. */
enum hmsg_stop_mode {
	HMSG_STOP_SHUTDOWN = 0,  /* ACPI/PV shutdown, destroy after stop_timeout_s */
	HMSG_STOP_DESTROY,       /* pull the plug at once */
};

/* A live migration this node is to start, as the source. */
struct hmsg_want_migration {
	uint64_t id;                       /* nimbusd's, unique, > 0 */
	char to[HMSG_NAME_MAX];            /* the target hardware node */
	struct in_addr to_addr;            /* its management address (libvirtd TLS, stream) */
};

struct hmsg_want_instance {
	char name[HMSG_NAME_MAX];
	enum hmsg_want_state state;
	enum hmsg_stop_mode stop;
	uint32_t stop_timeout_s;           /* 1..3600 */
	uint64_t reboot_seq;               /* grows with every `instance reboot` */
	uint32_t memory_mib;               /* GEN_DOMAIN_MEMORY_MIN_MIB.. */
	uint32_t vcpus;                    /* 1..HMSG_VCPUS_MAX */
	uint16_t shelf;                    /* its disk: AoE eSHELF.SLOT */
	uint8_t slot;
	struct hmsg_want_migration migrate; /* id 0: none wanted */
	char domain_xml[HMSG_XML_MAX];     /* gen_domain's text; "" for INCOMING or ABSENT */
};

/* nimbusd -> agent: GET /v1/host/desired/MAC[/GEN]. */
struct hmsg_desired {
	char node[HMSG_NAME_MAX];
	uint64_t generation;               /* grows with every change for this node */
	struct hmsg_want_instance *instances;  /* n_instances entries, malloc()ed */
	size_t n_instances;
};

/* libvirt's domain states (virsh domstate), in its words. */
enum hmsg_dom_state {
	HMSG_DOM_NOSTATE = 0, HMSG_DOM_RUNNING, HMSG_DOM_BLOCKED, HMSG_DOM_PAUSED,
	HMSG_DOM_SHUTDOWN, HMSG_DOM_SHUTOFF, HMSG_DOM_CRASHED, HMSG_DOM_PMSUSPENDED,
};

enum hmsg_mig_phase {
	HMSG_MIG_STARTING = 0,   /* the agent is about to run it */
	HMSG_MIG_TRANSFER,       /* virsh migrate runs */
	HMSG_MIG_DONE,           /* the source no longer has the domain */
	HMSG_MIG_FAILED,         /* still (or again) on the source: error says why */
};

/* A migration this node ran or runs, kept in every report until nimbusd no
 * longer asks for it. */
struct hmsg_have_migration {
	uint64_t id;
	enum hmsg_mig_phase phase;
	int64_t started_ms;                /* agent's CLOCK_REALTIME, ms */
	int64_t elapsed_ms;                /* so far, or in all once done/failed */
	char error[HMSG_DETAIL_MAX];
};

/* One domain libvirt knows on this node, wanted or not. */
struct hmsg_have_instance {
	char name[HMSG_NAME_MAX];
	enum hmsg_dom_state state;
	bool persistent;                   /* defined (not only running) */
	uint32_t memory_mib;               /* current allocation */
	uint32_t vcpus;
	struct hmsg_have_migration migration;  /* id 0: none */
	char error[HMSG_DETAIL_MAX];       /* the last step that failed, "" if none */
};

/* One AoE device the dom0's aoe driver sees, and through how many paths. */
struct hmsg_target {
	uint16_t shelf;
	uint8_t slot;
	uint64_t size_bytes;
	uint32_t paths;                    /* targets (storage nodes) answering for it */
};

/* Something the agent did or saw happen to an instance, for its history in
 * nimbusd ("stopped cleanly after 12.3 s", "destroyed: no shutdown within
 * 60 s", "started", "migrated to hw2 in 35.2 s"). The agent keeps the last
 * HMSG_MAX_EVENTS in every report; seq counts from 1 at the agent's start,
 * so (started_ms, seq) is unique and nimbusd records each event once. */
#define HMSG_MAX_EVENTS 32
struct hmsg_event {
	uint64_t seq;
	int64_t at_ms;                     /* CLOCK_REALTIME, ms */
	char instance[HMSG_NAME_MAX];
	char text[HMSG_DETAIL_MAX];
};

/* agent -> nimbusd: POST /v1/host/observed. */
struct hmsg_observed {
	uint8_t mac[MAC_LEN];              /* the boot NIC: with the source address, the identity */
	char node[HMSG_NAME_MAX];
	uint64_t generation;               /* the desired state last applied */
	int64_t started_ms;                /* when this agent started (CLOCK_REALTIME, ms) */
	bool libvirt;                      /* libvirt's libxl driver answers */
	char libvirt_error[HMSG_DETAIL_MAX];
	char xen_version[HMSG_VERSION_MAX];  /* "4.17.5" */
	uint32_t xen_major, xen_minor;
	uint32_t cpus;
	uint64_t memory_total_mib, memory_free_mib;  /* Xen's, free = what guests can get */
	bool instance_bridge;              /* instbr0 exists and is up */
	struct hmsg_target *targets;       /* n_targets entries, malloc()ed */
	size_t n_targets;
	struct hmsg_have_instance *instances;  /* n_instances entries, malloc()ed */
	size_t n_instances;
	struct hmsg_event events[HMSG_MAX_EVENTS];  /* oldest first */
	size_t n_events;
};

const char *hmsg_want_state_name(enum hmsg_want_state s);
const char *hmsg_stop_mode_name(enum hmsg_stop_mode m);
const char *hmsg_dom_state_name(enum hmsg_dom_state s);
const char *hmsg_mig_phase_name(enum hmsg_mig_phase p);
/* virsh's words ("running", "shut off", "in shutdown", "paused", ...) and
 * the names above: -EINVAL for anything else. */
int hmsg_dom_state_parse(const char *s, enum hmsg_dom_state *out);

/* Encoders: *json is malloc()ed. 0, -EINVAL (a field its decoder would
 * refuse: nothing invalid leaves either end) or -ENOMEM. */
int hmsg_desired_encode(const struct hmsg_desired *d, char **json);
int hmsg_observed_encode(const struct hmsg_observed *o, char **json);

/* Decoders: text of len bytes (need not be NUL-terminated). 0, -EINVAL
 * with err naming the field, or -ENOMEM. Free with the matching _free,
 * also after a failure. */
int hmsg_desired_decode(const char *text, size_t len, struct hmsg_desired *d,
			char err[HMSG_ERR_MAX]);
int hmsg_observed_decode(const char *text, size_t len, struct hmsg_observed *o,
			 char err[HMSG_ERR_MAX]);

void hmsg_desired_free(struct hmsg_desired *d);
void hmsg_observed_free(struct hmsg_observed *o);

/* The node's libvirt certificate (live migration is libvirtd to libvirtd
 * over TLS with client certificates): the agent makes its key and a CSR in
 * dom0 (the key never leaves it), nimbusd's CA signs it for the node's
 * name and management address, taken from its database, not from the CSR.
 * agent -> nimbusd: POST /v1/host/certificate; the reply has the CA's
 * certificate (libvirt's cacert.pem) and the node's, which serves as its
 * server and its client certificate. */
#define HMSG_PEM_MAX 8192
struct hmsg_cert_req {
	uint8_t mac[MAC_LEN];
	char node[HMSG_NAME_MAX];
	char csr[HMSG_PEM_MAX];            /* PEM "CERTIFICATE REQUEST" */
};

struct hmsg_cert_reply {
	char ca[HMSG_PEM_MAX];             /* PEM "CERTIFICATE": nimbusd's CA */
	char cert[HMSG_PEM_MAX];           /* PEM "CERTIFICATE": the node's */
	int64_t not_after;                 /* unix s */
};

/* PEM text: printable ASCII, newlines, "-----BEGIN " first; < HMSG_PEM_MAX. */
int hmsg_cert_req_encode(const struct hmsg_cert_req *r, char **json);
int hmsg_cert_req_decode(const char *text, size_t len, struct hmsg_cert_req *r,
			 char err[HMSG_ERR_MAX]);
int hmsg_cert_reply_encode(const struct hmsg_cert_reply *r, char **json);
int hmsg_cert_reply_decode(const char *text, size_t len, struct hmsg_cert_reply *r,
			   char err[HMSG_ERR_MAX]);

#endif
