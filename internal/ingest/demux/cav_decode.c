// Decoding side of package demux, for video codecs other than H.264/H.265:
// libavcodec decodes, libswscale converts to packed BGR24 of an even size
// (odd sizes cropped by one column or row) for ingest/av's encoder.
#include <errno.h>

#include <libavutil/frame.h>
#include <libavutil/mem.h>
#include <libavutil/pixfmt.h>

#include "demux.h"
#include "demux_internal.h"

// pdx_decoder_open opens libavcodec's decoder for the video stream and
// reports the output size: the stream's size cropped to even numbers.
int pdx_decoder_open(pdx_file *f, int *width, int *height) {
    AVStream *st = f->fc->streams[f->vi];
    const AVCodec *c = avcodec_find_decoder(st->codecpar->codec_id);
    int w = st->codecpar->width & ~1, h = st->codecpar->height & ~1;
    int ret;

    *width = *height = 0;
    if (!c) {
        return AVERROR_DECODER_NOT_FOUND;
    }
    if (w <= 0 || h <= 0 || (int64_t)w * h > PDX_MAX_PIXELS) {
        return AVERROR_INVALIDDATA;
    }
    f->bgr = av_malloc((size_t)w * h * 3 + PDX_PAD);
    f->dec = avcodec_alloc_context3(c);
    if (!f->bgr || !f->dec) {
        return AVERROR(ENOMEM);
    }
    ret = avcodec_parameters_to_context(f->dec, st->codecpar);
    if (ret < 0) {
        return ret;
    }
    f->dec->pkt_timebase = st->time_base;
    f->dec->max_pixels = PDX_MAX_PIXELS;
    ret = avcodec_open2(f->dec, c, NULL);
    if (ret < 0) {
        return ret;
    }
    f->out_w = *width = w;
    f->out_h = *height = h;
    return 0;
}

// convert turns f->frame into packed BGR24 of the output size in f->bgr.
// A frame whose size differs from the stream's (a mid-stream change) is
// scaled to the output size.
static int convert(pdx_file *f) {
    AVFrame *fr = f->frame;
    int w = fr->width & ~1, h = fr->height & ~1;

    if (w <= 0 || h <= 0 || fr->format < 0 || (int64_t)w * h > PDX_MAX_PIXELS ||
        !fr->data[0]) {
        return AVERROR_INVALIDDATA;
    }
    return pav_bgr_scale(&f->conv, fr, w, h, f->out_w, f->out_h, f->bgr);
}

// pdx_decode returns the next decoded picture, in presentation order, as
// packed BGR24 of the output size (owned by f until the next call) with its
// best-effort timestamp in nanoseconds. Packets and pictures the decoder
// rejects are counted in *skipped and dropped. At the end of the file the
// decoder is drained. Returns 1, or <0 (AVERROR_EOF at the end).
int pdx_decode(pdx_file *f, uint8_t **bgr, int64_t *pts, int *skipped) {
    AVRational tb = f->fc->streams[f->vi]->time_base;
    int errs = 0;

    *bgr = NULL;
    *pts = PDX_NOTS;
    if (!f->dec) {
        return AVERROR(EINVAL);
    }
    for (;;) {
        int ret = avcodec_receive_frame(f->dec, f->frame);
        if (ret >= 0) {
            ret = convert(f);
            *pts = pdx_to_ns(f->frame->best_effort_timestamp, tb);
            av_frame_unref(f->frame);
            if (ret < 0) {
                (*skipped)++;
                continue;
            }
            *bgr = f->bgr;
            return 1;
        }
        if (ret == AVERROR_EOF) {
            return ret;
        }
        if (ret != AVERROR(EAGAIN)) {
            (*skipped)++; // a picture the decoder could not finish
            if (++errs > 64) {
                return ret; // a decoder stuck failing
            }
            continue;
        }
        if (f->draining) {
            return AVERROR_EOF;
        }
        ret = pdx_next_packet(f, skipped);
        if (ret == AVERROR_EOF) {
            f->draining = 1;
            ret = avcodec_send_packet(f->dec, NULL);
        } else if (ret >= 0) {
            ret = avcodec_send_packet(f->dec, f->pkt);
            av_packet_unref(f->pkt);
            if (ret < 0 && ret != AVERROR(EAGAIN)) {
                (*skipped)++; // a packet the decoder rejects
                ret = 0;
            }
        }
        if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF) {
            return ret;
        }
    }
}
