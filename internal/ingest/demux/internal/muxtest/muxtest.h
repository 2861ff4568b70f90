// C side of package muxtest: stream copy with libavformat.
#ifndef PATROL_DEMUX_MUXTEST_H
#define PATROL_DEMUX_MUXTEST_H

#include <stddef.h>

int pmx_remux(const char *src, const char *dst, const char *format, int audio);
void pmx_strerror(int err, char *buf, size_t size);

#endif
