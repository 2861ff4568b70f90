// Shared C helpers for package av: logging and error strings.
#include <errno.h>

#include <libavutil/error.h>
#include <libavutil/log.h>

#include "cav.h"

void pav_init_logging(void) {
    // Errors are reported through return values; libav's own log lines on
    // corrupt input would only flood stderr.
    av_log_set_level(AV_LOG_QUIET);
}

void pav_strerror(int err, char *buf, size_t size) {
    if (av_strerror(err, buf, size) < 0 && size > 0) {
        buf[0] = '\0';
    }
}

int pav_eagain(void) { return AVERROR(EAGAIN); }
