/* target_identify.c - the ATA IDENTIFY DEVICE page an export presents.
 * docs/aoe-protocol.md lists the words and why they hold what they hold.
 */
#include <string.h>

#include "target_priv.h"

/* Word numbers (ATA8-ACS). */
#define ID_CONFIG         0
#define ID_CYLS           1
#define ID_HEADS          3
#define ID_SPT            6
#define ID_SERIAL         10   /* 10 words */
#define ID_FIRMWARE       23   /* 4 words */
#define ID_MODEL          27   /* 20 words */
#define ID_MULTIPLE       47
#define ID_CAPS           49
#define ID_CAPS2          50
#define ID_VALID          53
#define ID_CUR_CYLS       54
#define ID_CUR_HEADS      55
#define ID_CUR_SPT        56
#define ID_CUR_CAP        57   /* 2 words */
#define ID_LBA28          60   /* 2 words */
#define ID_MAJOR          80
#define ID_MINOR          81
#define ID_CMDSET1        82
#define ID_CMDSET2        83
#define ID_CMDSET_EXT     84
#define ID_CMDSET1_EN     85
#define ID_CMDSET2_EN     86
#define ID_CMDSET_EXT_EN  87
#define ID_UDMA           88
#define ID_HW_RESET       93
#define ID_LBA48          100  /* 4 words */

#define CMDSET_VALID      0x4000   /* bits 15:14 = 01: word is valid */
#define CMDSET2_LBA48     0x0400   /* Linux aoe reads this in 83 | 86 */
#define CMDSET2_FLUSH     0x1000
#define CMDSET2_FLUSH_EXT 0x2000

/* Legacy CHS geometry for BIOS-era code: the ATA convention of 16 heads,
 * 63 sectors per track, at most 16383 cylinders. */
#define CHS_HEADS         16
#define CHS_SPT           63
#define CHS_MAX_CYLS      16383

/* ATA strings: space padded, two characters per word, the first in the
 * high byte; words are little-endian on the wire. */
static void id_string(uint8_t *id, unsigned word, unsigned nwords,
		      const char *s)
{
	size_t n = strnlen(s, nwords * 2);

	for (unsigned i = 0; i < nwords * 2; i++)
		id[word * 2 + (i ^ 1)] = i < n ? (uint8_t)s[i] : ' ';
}

static void id_word(uint8_t *id, unsigned word, uint16_t v)
{
	id[word * 2] = (uint8_t)v;
	id[word * 2 + 1] = (uint8_t)(v >> 8);
}

static void id_words(uint8_t *id, unsigned word, unsigned nwords, uint64_t v)
{
	for (unsigned i = 0; i < nwords; i++)
		id_word(id, word + i, (uint16_t)(v >> (16 * i)));
}

void target_identify_page(const struct target_export *ex,
			  uint8_t id[TARGET_ID_LEN])
{
	uint64_t lba28 = ex->sectors > ATA_LBA28_MAX ? ATA_LBA28_MAX
						      : ex->sectors;
	uint64_t lba48 = ex->sectors > ATA_LBA48_MAX ? ATA_LBA48_MAX
						      : ex->sectors;
	uint64_t cyls = ex->sectors / (CHS_HEADS * CHS_SPT);
	uint16_t features = CMDSET2_LBA48 | CMDSET2_FLUSH | CMDSET2_FLUSH_EXT;

	if (cyls > CHS_MAX_CYLS)
		cyls = CHS_MAX_CYLS;
	memset(id, 0, TARGET_ID_LEN);
	id_word(id, ID_CONFIG, 0x0040);		/* fixed, non-removable */
	id_word(id, ID_CYLS, (uint16_t)cyls);
	id_word(id, ID_HEADS, CHS_HEADS);
	id_word(id, ID_SPT, CHS_SPT);
	id_string(id, ID_SERIAL, 10, ex->serial);
	id_string(id, ID_FIRMWARE, 4, ex->firmware);
	id_string(id, ID_MODEL, 20, ex->model);
	id_word(id, ID_MULTIPLE, 0x8000);	/* no READ/WRITE MULTIPLE */
	id_word(id, ID_CAPS, 0x0200);		/* LBA supported */
	id_word(id, ID_CAPS2, 0x4000);
	id_word(id, ID_VALID, 0x0001);		/* words 54-58 valid */
	id_word(id, ID_CUR_CYLS, (uint16_t)cyls);
	id_word(id, ID_CUR_HEADS, CHS_HEADS);
	id_word(id, ID_CUR_SPT, CHS_SPT);
	id_words(id, ID_CUR_CAP, 2, cyls * CHS_HEADS * CHS_SPT);
	id_words(id, ID_LBA28, 2, lba28);
	id_word(id, ID_MAJOR, 0x00fe);		/* ATA-1 .. ATA8-ACS */
	id_word(id, ID_MINOR, 0);
	id_word(id, ID_CMDSET1, 0);
	id_word(id, ID_CMDSET2, CMDSET_VALID | features);
	id_word(id, ID_CMDSET_EXT, CMDSET_VALID);
	id_word(id, ID_CMDSET1_EN, 0);
	id_word(id, ID_CMDSET2_EN, features);
	id_word(id, ID_CMDSET_EXT_EN, CMDSET_VALID);
	id_word(id, ID_UDMA, 0);		/* AoE transfers are not DMA */
	id_word(id, ID_HW_RESET, 0x600b);	/* device 0, diag passed */
	id_words(id, ID_LBA48, 4, lba48);
}
