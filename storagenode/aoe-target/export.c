/* export.c - backing files and devices of aoetd's exports. */
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int backing_size(int fd, uint64_t *bytes, bool *blockdev)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, bytes) < 0)
			return -errno;
		*blockdev = true;
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*bytes = (uint64_t)st.st_size;
	*blockdev = false;
	return 0;
}

/* Works out base and sectors from the file size and the configuration. */
static int geometry(const struct export_cfg *e, struct backing *b,
		    char *err, size_t errlen)
{
	uint64_t bytes;
	int rc = backing_size(b->fd, &bytes, &b->blockdev);

	if (rc == -EINVAL) {
		snprintf(err, errlen, "export %u.%u: %s is neither a regular "
			 "file nor a block device", e->shelf, e->slot, e->path);
		return rc;
	}
	if (rc) {
		snprintf(err, errlen, "export %u.%u: %s: %s", e->shelf, e->slot,
			 e->path, strerror(-rc));
		return rc;
	}
	b->file_sectors = bytes / AOE_SECTOR_SIZE;
	if (e->offset >= b->file_sectors) {
		snprintf(err, errlen, "export %u.%u: offset %llu is past the end "
			 "of %s (%llu sectors)", e->shelf, e->slot,
			 (unsigned long long)e->offset, e->path,
			 (unsigned long long)b->file_sectors);
		return -ERANGE;
	}
	if (e->length && e->length > b->file_sectors - e->offset) {
		snprintf(err, errlen, "export %u.%u: offset %llu + length %llu "
			 "is past the end of %s (%llu sectors)", e->shelf,
			 e->slot, (unsigned long long)e->offset,
			 (unsigned long long)e->length, e->path,
			 (unsigned long long)b->file_sectors);
		return -ERANGE;
	}
	b->base = e->offset * AOE_SECTOR_SIZE;
	b->sectors = e->length ? e->length : b->file_sectors - e->offset;
	if (b->sectors > ATA_LBA48_MAX + 1)
		b->sectors = ATA_LBA48_MAX + 1; /* what LBA48 can address */
	return 0;
}

/* Maps the export read-only for zero-copy reads; failure only costs speed.
 * Writes never go through the mapping (see wbatch.h): a read fault maps the
 * cached pages around it too (the kernel's fault-around, 64 KiB), a write
 * fault only its own page, and again after every writeback. */
static void map_export(struct backing *b)
{
	uint64_t start = b->base & ~(uint64_t)(sysconf(_SC_PAGESIZE) - 1);
	uint64_t len = b->base - start + b->sectors * AOE_SECTOR_SIZE;
	void *m;

	if (len > SIZE_MAX / 2)
		return;
	m = mmap(NULL, (size_t)len, PROT_READ,
		 MAP_SHARED, b->fd, (off_t)start);
	if (m == MAP_FAILED)
		return;
	b->map = m;
	b->map_len = (size_t)len;
	b->map_skew = (size_t)(b->base - start);
}

static void unmap_export(struct backing *b)
{
	if (b->map)
		munmap(b->map, b->map_len);
	b->map = NULL;
	b->map_len = b->map_skew = 0;
}

int backing_open(const struct export_cfg *e, bool check_only,
		 struct backing *b, char *err, size_t errlen)
{
	int flags = O_CLOEXEC;
	int rc;

	b->fd = b->fd_buffered = -1;
	b->map = NULL;
	flags |= (e->read_only || check_only) ? O_RDONLY : O_RDWR;
	if (e->sync && !e->read_only && !check_only)
		flags |= O_SYNC;
	b->fd = open(e->path, flags | (e->direct && !check_only ? O_DIRECT : 0));
	if (b->fd < 0 && errno == EINVAL && e->direct) {
		snprintf(err, errlen, "export %u.%u: %s does not support "
			 "O_DIRECT (drop 'direct')", e->shelf, e->slot, e->path);
		return -EINVAL;
	}
	if (b->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "export %u.%u: %s: %s", e->shelf, e->slot,
			 e->path, strerror(errno));
		return rc;
	}
	rc = geometry(e, b, err, errlen);
	if (rc)
		goto fail;
	if (e->direct && !check_only) {
		b->fd_buffered = open(e->path, flags);
		if (b->fd_buffered < 0) {
			rc = -errno;
			snprintf(err, errlen, "export %u.%u: %s: %s", e->shelf,
				 e->slot, e->path, strerror(errno));
			goto fail;
		}
	}
	if (!e->direct && !check_only)
		map_export(b);
	return 0;
fail:
	backing_close(b);
	return rc;
}

int backing_resize(const struct export_cfg *e, struct backing *b,
		   char *err, size_t errlen)
{
	uint64_t old = b->sectors;
	int rc = geometry(e, b, err, errlen);

	if (rc == 0 && b->map && b->sectors != old) {
		unmap_export(b);
		map_export(b);
	}
	return rc;
}

void backing_close(struct backing *b)
{
	unmap_export(b);
	if (b->fd >= 0)
		close(b->fd);
	if (b->fd_buffered >= 0)
		close(b->fd_buffered);
	b->fd = b->fd_buffered = -1;
}
