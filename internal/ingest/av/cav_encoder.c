// Encoder side of package av: packed BGR24 -> YUV420P via libswscale, then
// libx264 / libx265 configured for zero latency and in-band headers.
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <libavutil/mem.h>
#include <libavutil/pixfmt.h>
#include <libswscale/swscale.h>

#include "cav.h"

struct pav_encoder {
    AVCodecContext *ctx;
    AVFrame *frame;
    AVPacket *pkt;
    struct SwsContext *sws;
    uint8_t *in; // packed BGR24 input, 3*w*h plus padding
    int width, height;
    int64_t pts;
    int flushing; // a NULL frame was sent: draining
};

void pav_encoder_free(pav_encoder *e) {
    if (!e) {
        return;
    }
    avcodec_free_context(&e->ctx);
    av_frame_free(&e->frame);
    av_packet_free(&e->pkt);
    sws_freeContext(e->sws);
    av_freep(&e->in);
    av_free(e);
}

static const AVCodec *find_encoder(int codec) {
    const AVCodec *c = NULL;
    switch (codec) {
    case PAV_H264:
        c = avcodec_find_encoder_by_name("libx264");
        if (!c) {
            c = avcodec_find_encoder(AV_CODEC_ID_H264);
        }
        break;
    case PAV_H265:
        c = avcodec_find_encoder_by_name("libx265");
        if (!c) {
            c = avcodec_find_encoder(AV_CODEC_ID_HEVC);
        }
        break;
    }
    return c;
}

// set_options builds the private options; unknown ones are left unused by
// non-x264/x265 fallbacks.
static int set_options(AVDictionary **opts, const AVCodec *c,
                       const char *preset, int bframes) {
    int ret = av_dict_set(opts, "preset", preset, 0);
    if (ret >= 0 && bframes == 0) {
        ret = av_dict_set(opts, "tune", "zerolatency", 0);
    }
    if (ret >= 0 && strcmp(c->name, "libx264") == 0) {
        // With B-frames: a fixed IBB..P pattern (no adaptive placement, no
        // pyramid), closed GOPs, as common IP cameras send.
        char params[160];
        snprintf(params, sizeof(params),
                 "repeat-headers=1:scenecut=0:bframes=%d:b-adapt=0:b-pyramid=none",
                 bframes);
        ret = av_dict_set(opts, "x264-params", params, 0);
    }
    if (ret >= 0 && strcmp(c->name, "libx265") == 0) {
        ret = av_dict_set(opts, "x265-params",
                          "bframes=0:repeat-headers=1:scenecut=0:open-gop=0:"
                          "log-level=error",
                          0);
    }
    return ret;
}

int pav_encoder_new(int codec, int width, int height, int fps, int gop,
                    int64_t bitrate, const char *preset, int bframes,
                    pav_encoder **out) {
    const AVCodec *c;
    AVDictionary *opts = NULL;
    pav_encoder *e;
    size_t in_size;
    int ret;

    *out = NULL;
    if (codec != PAV_H264 && codec != PAV_H265) {
        return AVERROR(EINVAL);
    }
    if (width <= 0 || height <= 0 || fps <= 0 || gop <= 0 || bitrate <= 0) {
        return AVERROR(EINVAL);
    }
    c = find_encoder(codec);
    if (!c) {
        return AVERROR_ENCODER_NOT_FOUND;
    }
    e = av_mallocz(sizeof(*e));
    if (!e) {
        return AVERROR(ENOMEM);
    }
    e->width = width;
    e->height = height;
    in_size = (size_t)width * height * 3 + (size_t)width * 3 + 256;
    e->ctx = avcodec_alloc_context3(c);
    e->frame = av_frame_alloc();
    e->pkt = av_packet_alloc();
    e->in = av_mallocz(in_size);
    if (!e->ctx || !e->frame || !e->pkt || !e->in) {
        pav_encoder_free(e);
        return AVERROR(ENOMEM);
    }

    e->ctx->width = width;
    e->ctx->height = height;
    e->ctx->pix_fmt = AV_PIX_FMT_YUV420P;
    e->ctx->time_base = (AVRational){1, fps};
    e->ctx->framerate = (AVRational){fps, 1};
    e->ctx->gop_size = gop;
    e->ctx->max_b_frames = bframes;
    e->ctx->bit_rate = bitrate;
    // swscale's BGR->YUV conversion is BT.601 limited range; say so.
    e->ctx->color_range = AVCOL_RANGE_MPEG;
    e->ctx->colorspace = AVCOL_SPC_SMPTE170M;

    ret = set_options(&opts, c, preset, bframes);
    if (ret >= 0) {
        ret = avcodec_open2(e->ctx, c, &opts);
    }
    av_dict_free(&opts);
    if (ret < 0) {
        pav_encoder_free(e);
        return ret;
    }

    e->frame->format = AV_PIX_FMT_YUV420P;
    e->frame->width = width;
    e->frame->height = height;
    ret = av_frame_get_buffer(e->frame, 0);
    if (ret < 0) {
        pav_encoder_free(e);
        return ret;
    }
    e->sws = sws_getContext(width, height, AV_PIX_FMT_BGR24, width, height,
                            AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
    if (!e->sws) {
        pav_encoder_free(e);
        return AVERROR_EXTERNAL;
    }
    *out = e;
    return 0;
}

// pav_encoder_input returns the buffer the caller fills with one packed BGR24
// picture (3*width*height bytes) before calling pav_encoder_encode.
uint8_t *pav_encoder_input(pav_encoder *e) { return e->in; }

// pav_encoder_encode encodes the picture in the input buffer. Returns 1 with
// *data/*size (owned by e, valid until the next call) set when a packet is
// ready, 0 when the encoder buffered the frame, <0 on error.
int pav_encoder_encode(pav_encoder *e, uint8_t **data, int *size, int *key,
                       int64_t *pts) {
    const uint8_t *src[4] = {e->in, NULL, NULL, NULL};
    int stride[4] = {e->width * 3, 0, 0, 0};
    int ret;

    *data = NULL;
    *size = 0;
    *key = 0;
    av_packet_unref(e->pkt);
    ret = av_frame_make_writable(e->frame);
    if (ret < 0) {
        return ret;
    }
    if (sws_scale(e->sws, src, stride, 0, e->height, e->frame->data,
                  e->frame->linesize) != e->height) {
        return AVERROR_EXTERNAL;
    }
    e->frame->pts = e->pts++;
    ret = avcodec_send_frame(e->ctx, e->frame);
    if (ret < 0) {
        return ret;
    }
    ret = avcodec_receive_packet(e->ctx, e->pkt);
    if (ret == AVERROR(EAGAIN)) {
        return 0;
    }
    if (ret < 0) {
        return ret;
    }
    *data = e->pkt->data;
    *size = e->pkt->size;
    *key = (e->pkt->flags & AV_PKT_FLAG_KEY) != 0;
    *pts = e->pkt->pts;
    return 1;
}

// pav_encoder_flush drains the encoder after the last picture: returns 1
// with the next buffered packet, 0 when none is left, <0 on error.
int pav_encoder_flush(pav_encoder *e, uint8_t **data, int *size, int *key,
                      int64_t *pts) {
    int ret;

    *data = NULL;
    *size = 0;
    *key = 0;
    av_packet_unref(e->pkt);
    if (!e->flushing) {
        ret = avcodec_send_frame(e->ctx, NULL);
        if (ret < 0) {
            return ret;
        }
        e->flushing = 1;
    }
    ret = avcodec_receive_packet(e->ctx, e->pkt);
    if (ret == AVERROR_EOF) {
        return 0;
    }
    if (ret < 0) {
        return ret;
    }
    *data = e->pkt->data;
    *size = e->pkt->size;
    *key = (e->pkt->flags & AV_PKT_FLAG_KEY) != 0;
    *pts = e->pkt->pts;
    return 1;
}
