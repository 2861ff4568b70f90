// Decoder side of package av: libavcodec decoding plus libswscale conversion
// of whatever pixel format the decoder produces into packed BGR24.
#include <errno.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/mem.h>
#include <libavutil/pixfmt.h>
#include <libswscale/swscale.h>

#include "cav.h"
#include "cav_bgr.h"

// Largest picture the decoder accepts (8K UHD fits). Protects against
// corrupt parameter sets announcing absurd sizes.
#define PAV_MAX_PIXELS ((int64_t)1 << 25)
// Slack after the BGR buffer in case a SIMD writer overshoots the last row.
#define PAV_PAD 256

struct pav_decoder {
    const AVCodec *codec;
    AVCodecContext *ctx; // NULL after a failed reset; reopened lazily
    AVPacket *pkt;
    AVFrame *tmp; // receive target
    AVFrame *pic; // latest decoded picture
    pav_bgr conv;
    int max_w, max_h; // output fits in max_w x max_h (0: native size)
    uint8_t *bgr;
    size_t bgr_size;
};

void pav_decoder_free(pav_decoder *d) {
    if (!d) {
        return;
    }
    avcodec_free_context(&d->ctx);
    av_packet_free(&d->pkt);
    av_frame_free(&d->tmp);
    av_frame_free(&d->pic);
    pav_bgr_free(&d->conv);
    av_freep(&d->bgr);
    av_free(d);
}

static int open_ctx(pav_decoder *d) {
    int ret;

    d->ctx = avcodec_alloc_context3(d->codec);
    if (!d->ctx) {
        return AVERROR(ENOMEM);
    }
    d->ctx->thread_count = 1;
    d->ctx->max_pixels = PAV_MAX_PIXELS;
    ret = avcodec_open2(d->ctx, d->codec, NULL);
    if (ret < 0) {
        avcodec_free_context(&d->ctx);
    }
    return ret;
}

int pav_decoder_new(int codec, pav_decoder **out) {
    const AVCodec *c = NULL;
    pav_decoder *d;
    int ret;

    *out = NULL;
    switch (codec) {
    case PAV_H264:
        c = avcodec_find_decoder_by_name("h264");
        if (!c) {
            c = avcodec_find_decoder(AV_CODEC_ID_H264);
        }
        break;
    case PAV_H265:
        c = avcodec_find_decoder_by_name("hevc");
        if (!c) {
            c = avcodec_find_decoder(AV_CODEC_ID_HEVC);
        }
        break;
    default:
        return AVERROR(EINVAL);
    }
    if (!c) {
        return AVERROR_DECODER_NOT_FOUND;
    }
    d = av_mallocz(sizeof(*d));
    if (!d) {
        return AVERROR(ENOMEM);
    }
    d->codec = c;
    d->pkt = av_packet_alloc();
    d->tmp = av_frame_alloc();
    d->pic = av_frame_alloc();
    if (!d->pkt || !d->tmp || !d->pic) {
        pav_decoder_free(d);
        return AVERROR(ENOMEM);
    }
    ret = open_ctx(d);
    if (ret < 0) {
        pav_decoder_free(d);
        return ret;
    }
    *out = d;
    return 0;
}

// pav_decoder_reset replaces the codec context with a fresh one, dropping
// all decoder state (references, parameter sets, reorder depth).
int pav_decoder_reset(pav_decoder *d) {
    avcodec_free_context(&d->ctx);
    av_frame_unref(d->tmp);
    av_frame_unref(d->pic);
    return open_ctx(d);
}

// pav_decoder_packet prepares the next packet with size bytes of payload
// (plus zeroed padding) and returns its buffer for the caller to fill.
uint8_t *pav_decoder_packet(pav_decoder *d, int size) {
    av_packet_unref(d->pkt);
    if (size <= 0 || av_new_packet(d->pkt, size) < 0) {
        return NULL;
    }
    return d->pkt->data;
}

// drain receives every frame that is ready, keeping only the latest.
static int drain(pav_decoder *d, int *got) {
    for (;;) {
        int ret = avcodec_receive_frame(d->ctx, d->tmp);
        if (ret == AVERROR(EAGAIN)) {
            return 0;
        }
        if (ret == AVERROR_EOF) {
            // Never expected (no flush packets are sent); recover anyway.
            avcodec_flush_buffers(d->ctx);
            return 0;
        }
        if (ret < 0) {
            return ret;
        }
        av_frame_unref(d->pic);
        av_frame_move_ref(d->pic, d->tmp);
        *got = 1;
    }
}

// pav_decoder_set_max_size makes the decoder scale its pictures down, in
// the same libswscale pass as the colour conversion, to fit in w x h with
// the aspect ratio kept (0, 0: native size). Pictures are never enlarged.
void pav_decoder_set_max_size(pav_decoder *d, int w, int h) {
    d->max_w = w > 0 ? w : 0;
    d->max_h = h > 0 ? h : 0;
}

// out_size computes the output size of a w x h picture.
static void out_size(const pav_decoder *d, int w, int h, int *dw, int *dh) {
    *dw = w;
    *dh = h;
    if (d->max_w <= 0 || d->max_h <= 0 || (w <= d->max_w && h <= d->max_h)) {
        return;
    }
    if ((int64_t)w * d->max_h >= (int64_t)h * d->max_w) { // width-bound
        *dw = d->max_w;
        *dh = (int)(((int64_t)h * d->max_w + w / 2) / w);
    } else {
        *dh = d->max_h;
        *dw = (int)(((int64_t)w * d->max_h + h / 2) / h);
    }
    if (*dw < 1) *dw = 1;
    if (*dh < 1) *dh = 1;
}

// convert turns d->pic into packed BGR24 in d->bgr (scaled, see
// pav_decoder_set_max_size).
static int convert(pav_decoder *d, uint8_t **bgr, int *width, int *height) {
    AVFrame *f = d->pic;
    int w = f->width, h = f->height, dw, dh, ret;
    size_t need;

    if (w <= 0 || h <= 0 || f->format < 0 || (int64_t)w * h > PAV_MAX_PIXELS ||
        !f->data[0]) {
        return AVERROR_INVALIDDATA;
    }
    out_size(d, w, h, &dw, &dh);
    need = (size_t)dw * dh * 3 + PAV_PAD;
    if (d->bgr_size < need) {
        av_freep(&d->bgr);
        d->bgr_size = 0;
        d->bgr = av_malloc(need);
        if (!d->bgr) {
            return AVERROR(ENOMEM);
        }
        d->bgr_size = need;
    }
    ret = pav_bgr_scale(&d->conv, f, w, h, dw, dh, d->bgr);
    if (ret < 0) {
        return ret;
    }
    *bgr = d->bgr;
    *width = dw;
    *height = dh;
    return 0;
}

// pav_decoder_decode sends the packet prepared by pav_decoder_packet and
// collects the output. With flush set it then drains the decoder (end of
// stream, every queued picture out) and resets it, so that an intra unit
// yields its own picture whatever the stream's reorder delay; the next
// packet must then start at a key unit. Returns 1 with *bgr (owned by d,
// valid until the next call) set when a picture is ready, 0 when none is,
// <0 on error.
int pav_decoder_decode(pav_decoder *d, int flush, uint8_t **bgr, int *width, int *height) {
    int ret, got = 0;

    *bgr = NULL;
    *width = 0;
    *height = 0;
    if (!d->pkt->data || d->pkt->size <= 0) {
        // An empty packet would put the decoder into draining mode.
        return AVERROR(EINVAL);
    }
    if (!d->ctx) {
        ret = open_ctx(d);
        if (ret < 0) {
            av_packet_unref(d->pkt);
            return ret;
        }
    }
    ret = avcodec_send_packet(d->ctx, d->pkt);
    if (ret == AVERROR(EAGAIN)) {
        // Output pending (should not happen since we always drain): make
        // room and retry once.
        ret = drain(d, &got);
        if (ret >= 0) {
            ret = avcodec_send_packet(d->ctx, d->pkt);
        }
    }
    av_packet_unref(d->pkt);
    if (ret == AVERROR_EOF) {
        avcodec_flush_buffers(d->ctx);
    }
    if (ret < 0) {
        av_frame_unref(d->pic);
        return ret;
    }
    ret = drain(d, &got);
    if (ret >= 0 && flush) {
        // A NULL packet starts draining; drain() resets the decoder at
        // its end of stream.
        ret = avcodec_send_packet(d->ctx, NULL);
        if (ret >= 0) {
            ret = drain(d, &got);
        }
    }
    if (ret < 0) {
        av_frame_unref(d->pic);
        return ret;
    }
    if (!got) {
        return 0;
    }
    ret = convert(d, bgr, width, height);
    av_frame_unref(d->pic);
    return ret < 0 ? ret : 1;
}
