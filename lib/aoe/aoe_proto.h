/* ATA over Ethernet, protocol revision AoEr11 (ethertype 0x88A2).
 *
 * The wire format in one place: constants, decoded views of each frame part,
 * and pure encode/decode functions (no I/O, no allocation). Both the target
 * (aoetd) and the userspace initiator (aoe-bench) use these. Multi-byte
 * fields are big-endian on the wire except the ATA LBA, which is sent
 * least-significant byte first (lba0..lba5).
 *
 * Frame layout (offsets from the start of the Ethernet frame):
 *   0  dst[6] src[6] ethertype[2]                       Ethernet header
 *  14  ver<<4|flags[1] error[1] major[2] minor[1] cmd[1] tag[4]   AoE header
 *  24  command argument:
 *      ATA (cmd 0):   aflags err/feature sectors cmd/status lba0..lba5 res[2]
 *                     then data at 36
 *      Config (1):    bufcnt[2] fwver[2] scnt[1] aoever<<4|ccmd[1] cslen[2]
 *                     then config string at 32
 *      Mask (2):      res[1] mcmd[1] merror[1] dcnt[1] then dcnt x
 *                     {res[1] dcmd[1] mac[6]}
 *      Reserve (3):   rcmd[1] nmacs[1] then nmacs x mac[6]
 */
#ifndef NIMBUS_AOE_PROTO_H
#define NIMBUS_AOE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AOE_ETHERTYPE     0x88A2
#define AOE_VERSION       1
#define AOE_ETH_HDR_LEN   14
#define AOE_HDR_LEN       24   /* Ethernet + AoE common header */
#define AOE_ATA_HDR_LEN   36   /* ... + ATA argument; data follows */
#define AOE_CFG_HDR_LEN   32   /* ... + Query Config argument; string follows */
#define AOE_MASK_HDR_LEN  28
#define AOE_RESV_HDR_LEN  26
#define AOE_MIN_FRAME     60   /* Ethernet minimum without FCS: pad replies */
#define AOE_SECTOR_SIZE   512
#define AOE_CFG_STR_MAX   1024
#define AOE_MASK_MAX      255  /* directives in one frame / entries in a list */
#define AOE_RESV_MAX      255

#define AOE_MAJOR_ANY     0xFFFF
#define AOE_MINOR_ANY     0xFF

/* Common header flags (low nibble of the first byte). */
#define AOE_FLAG_RESP     0x08
#define AOE_FLAG_ERR      0x04

enum aoe_cmd {
	AOE_CMD_ATA = 0,
	AOE_CMD_CONFIG = 1,
	AOE_CMD_MASK = 2,
	AOE_CMD_RESERVE = 3,
};

enum aoe_error {
	AOE_ERR_NONE = 0,
	AOE_ERR_BADCMD = 1,      /* unrecognized command code */
	AOE_ERR_BADARG = 2,      /* bad argument parameter */
	AOE_ERR_DEVUNAVAIL = 3,  /* device unavailable */
	AOE_ERR_CFGSET = 4,      /* config string present */
	AOE_ERR_UNSUPVER = 5,    /* unsupported version */
	AOE_ERR_RESERVED = 6,    /* target is reserved */
};

/* ATA argument aflags. */
#define AOE_AFLAG_EXT     0x40 /* LBA48 */
#define AOE_AFLAG_DEV     0x10
#define AOE_AFLAG_ASYNC   0x02
#define AOE_AFLAG_WRITE   0x01

/* ATA commands and status/error bits the target implements. */
#define ATA_CMD_READ            0x20
#define ATA_CMD_READ_EXT        0x24
#define ATA_CMD_WRITE           0x30
#define ATA_CMD_WRITE_EXT       0x34
#define ATA_CMD_FLUSH           0xE7
#define ATA_CMD_FLUSH_EXT       0xEA
#define ATA_CMD_IDENTIFY        0xEC
#define ATA_CMD_CHECK_POWER     0xE5
#define ATA_STAT_ERR            0x01
#define ATA_STAT_DRQ            0x08
#define ATA_STAT_DF             0x20
#define ATA_STAT_DRDY           0x40
#define ATA_STAT_BSY            0x80
#define ATA_ERR_ABRT            0x04
#define ATA_ERR_IDNF            0x10 /* sector id not found: out of range */
#define ATA_ERR_UNC             0x40 /* uncorrectable: medium (I/O) error */
#define ATA_LBA28_MAX           0x0FFFFFFFULL
#define ATA_LBA48_MAX           0xFFFFFFFFFFFFULL

/* Query Config subcommands. */
enum aoe_cfg_cmd {
	AOE_CCMD_READ = 0,
	AOE_CCMD_TEST_EXACT = 1,
	AOE_CCMD_TEST_PREFIX = 2,
	AOE_CCMD_SET = 3,
	AOE_CCMD_FORCE_SET = 4,
};

/* Mac Mask List. */
enum aoe_mask_cmd { AOE_MCMD_READ = 0, AOE_MCMD_EDIT = 1 };
enum aoe_mask_err {
	AOE_MERR_NONE = 0, AOE_MERR_UNSPEC = 1, AOE_MERR_BADDCMD = 2,
	AOE_MERR_FULL = 3,
};
enum aoe_mask_dcmd { AOE_DCMD_NONE = 0, AOE_DCMD_ADD = 1, AOE_DCMD_DEL = 2 };

/* Reserve/Release. */
enum aoe_resv_cmd { AOE_RCMD_READ = 0, AOE_RCMD_SET = 1, AOE_RCMD_FORCE = 2 };

/* Decoded common header. */
struct aoe_hdr {
	uint8_t dst[6];
	uint8_t src[6];
	uint8_t version;   /* high nibble of byte 14 */
	uint8_t flags;     /* low nibble of byte 14 */
	uint8_t error;
	uint16_t major;
	uint8_t minor;
	uint8_t cmd;
	uint32_t tag;
};

/* Decoded ATA argument; data points into the frame (not copied). */
struct aoe_ata {
	uint8_t aflags;
	uint8_t err_feature;
	uint8_t sector_count;
	uint8_t cmd_status;
	uint64_t lba;      /* 48 bits, assembled from lba0..lba5 */
	const uint8_t *data;
	size_t data_len;
};

/* Decoded Query Config argument; str points into the frame. */
struct aoe_cfg {
	uint16_t bufcnt;
	uint16_t fwver;
	uint8_t scnt;      /* max sectors per ATA frame (0 means 2) */
	uint8_t aoever;    /* high nibble of byte 29 */
	uint8_t ccmd;      /* low nibble of byte 29 */
	uint16_t cslen;
	const uint8_t *str;
};

struct aoe_mask_dir {
	uint8_t dcmd;
	uint8_t mac[6];
};

/* Decoded Mac Mask List argument; dirs points into the frame: use
 * aoe_mask_dir_get() to read directive i. */
struct aoe_mask {
	uint8_t mcmd;
	uint8_t merror;
	uint8_t dcnt;
	const uint8_t *dirs;
};

/* Decoded Reserve/Release argument; macs points into the frame. */
struct aoe_resv {
	uint8_t rcmd;
	uint8_t nmacs;
	const uint8_t *macs;   /* nmacs * 6 bytes */
};

/* Decoding. Each returns 0 or a negative errno, checked in this order:
 *   -EMSGSIZE  frame shorter than the fixed part being decoded
 *   -EPROTO    ethertype is not 0x88A2
 *   -EMSGSIZE  frame shorter than its count fields say (cslen, dcnt, nmacs);
 *              counts are only believed once the frame is known to be AoE
 * Each part decoder checks the whole frame again (length and ethertype), so
 * it is safe on its own. ATA data is whatever follows the ATA header
 * (data_len may include padding); the command decides how much counts.
 * The caller decides what to do with version, flags and command. */
int aoe_decode_hdr(const uint8_t *frame, size_t len, struct aoe_hdr *h);
int aoe_decode_ata(const uint8_t *frame, size_t len, struct aoe_ata *a);
int aoe_decode_cfg(const uint8_t *frame, size_t len, struct aoe_cfg *c);
int aoe_decode_mask(const uint8_t *frame, size_t len, struct aoe_mask *m);
void aoe_mask_dir_get(const struct aoe_mask *m, unsigned i,
		      struct aoe_mask_dir *d);
int aoe_decode_resv(const uint8_t *frame, size_t len, struct aoe_resv *r);

/* Encoding. Each writes into buf (capacity cap) and returns the number of
 * bytes written, or -ENOSPC if cap is too small. Data/string/list payloads
 * are copied from the given pointers; pass NULL to leave the space as is
 * (e.g. when the payload was already written in place). The header encoder
 * writes version 1 into byte 14 together with h->flags. */
int aoe_encode_hdr(uint8_t *buf, size_t cap, const struct aoe_hdr *h);
int aoe_encode_ata(uint8_t *buf, size_t cap, const struct aoe_hdr *h,
		   const struct aoe_ata *a);
int aoe_encode_cfg(uint8_t *buf, size_t cap, const struct aoe_hdr *h,
		   const struct aoe_cfg *c);
/* dirs: dcnt directives from the array (not frame bytes). */
int aoe_encode_mask(uint8_t *buf, size_t cap, const struct aoe_hdr *h,
		    uint8_t mcmd, uint8_t merror, uint8_t dcnt,
		    const struct aoe_mask_dir *dirs);
int aoe_encode_resv(uint8_t *buf, size_t cap, const struct aoe_hdr *h,
		    uint8_t rcmd, uint8_t nmacs, const uint8_t (*macs)[6]);

/* Pads a reply of len bytes with zeros to AOE_MIN_FRAME (buf must hold it);
 * returns the new length. */
size_t aoe_pad(uint8_t *buf, size_t len);

/* Sectors that fit in one ATA frame at this MTU: (mtu - 36) / 512, i.e.
 * 2 at 1500 and 17 at 9000; never more than 255. */
unsigned aoe_sectors_per_frame(unsigned mtu);

#endif
