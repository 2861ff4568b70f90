// The handle shared by the C files of package demux (never seen by Go).
#ifndef PATROL_DEMUX_INTERNAL_H
#define PATROL_DEMUX_INTERNAL_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>

#include "cav_bgr.h" // ingest/av

// Largest picture decoded for re-encoding (8K UHD fits), as in ingest/av.
#define PDX_MAX_PIXELS ((int64_t)1 << 25)
// Slack after the BGR buffer in case a SIMD writer overshoots the last row.
#define PDX_PAD 256

struct pdx_file {
    AVFormatContext *fc;
    int vi; // index of the video stream
    AVPacket *pkt;
    // Decoding (foreign codecs only).
    AVCodecContext *dec;
    AVFrame *frame;
    int draining; // a NULL packet was sent
    pav_bgr conv; // the BGR converter shared with ingest/av
    int out_w, out_h; // even output size
    uint8_t *bgr;
};

// pdx_to_ns converts a timestamp in tb to nanoseconds (PDX_NOTS when
// unknown); pdx_next_packet reads the next video packet into f->pkt.
int64_t pdx_to_ns(int64_t ts, AVRational tb);
int pdx_next_packet(pdx_file *f, int *skipped);

#endif
