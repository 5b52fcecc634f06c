/* evsrc.h - what aoetd's epoll loop dispatches to: every registered file
 * descriptor's epoll data points at one of these, first member of its owner. */
#ifndef NIMBUS_AOETD_EVSRC_H
#define NIMBUS_AOETD_EVSRC_H

#include <stdint.h>

struct evsrc {
	void (*fn)(struct evsrc *src, uint32_t events);
};

#endif
