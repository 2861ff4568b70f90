// C helpers for package demux. Everything that touches libav* structures
// lives on the C side; Go only sees an opaque handle, plain numbers and
// buffers that C owns (valid until the next call on the same handle).
#ifndef PATROL_DEMUX_DEMUX_H
#define PATROL_DEMUX_DEMUX_H

#include <stddef.h>
#include <stdint.h>

// Codec of the chosen video stream.
enum { PDX_OTHER = 0, PDX_H264 = 1, PDX_H265 = 2 };

typedef struct pdx_file pdx_file;

// pdx_info describes the chosen video stream in plain numbers. Timestamps
// handed to Go are nanoseconds, PDX_NOTS when unknown.
typedef struct pdx_info {
    int codec;            // PDX_*
    char codec_name[32];  // libavcodec's name: "h264", "mpeg4", ...
    int width, height;    // 0 when unknown
    int fps_num, fps_den; // 0/0 when unknown
    int64_t duration_ns;  // 0 when unknown
} pdx_info;

#define PDX_NOTS INT64_MIN

void pdx_init_logging(void);
void pdx_strerror(int err, char *buf, size_t size);
int pdx_err_eof(void);
int pdx_err_no_stream(void);
int pdx_err_no_decoder(void);

int pdx_open(const char *url, pdx_file **out, pdx_info *info);
int pdx_extradata(pdx_file *f, uint8_t **data);
int pdx_read(pdx_file *f, uint8_t **data, int *size, int64_t *pts,
             int64_t *dts, int *skipped);
int pdx_decoder_open(pdx_file *f, int *width, int *height);
int pdx_decode(pdx_file *f, uint8_t **bgr, int64_t *pts, int *skipped);
void pdx_close(pdx_file *f);

#endif
