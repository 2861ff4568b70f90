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

static int sws_space(int colorspace) {
    switch (colorspace) {
    case AVCOL_SPC_BT709: return SWS_CS_ITU709;
    case AVCOL_SPC_FCC: return SWS_CS_FCC;
    case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
    default: return SWS_CS_DEFAULT;
    }
}

// convert turns f->frame into packed BGR24 of the output size in f->bgr.
// A frame whose size differs from the stream's (a mid-stream change) is
// scaled to the output size.
static int convert(pdx_file *f) {
    AVFrame *fr = f->frame;
    int w = fr->width & ~1, h = fr->height & ~1, fmt = fr->format;
    int range = fr->color_range == AVCOL_RANGE_JPEG;
    int space = sws_space(fr->colorspace);

    if (w <= 0 || h <= 0 || fmt < 0 || (int64_t)w * h > PDX_MAX_PIXELS ||
        !fr->data[0]) {
        return AVERROR_INVALIDDATA;
    }
    // Map the deprecated full-range "J" formats to their plain twins.
    switch (fmt) {
    case AV_PIX_FMT_YUVJ420P: fmt = AV_PIX_FMT_YUV420P; range = 1; break;
    case AV_PIX_FMT_YUVJ422P: fmt = AV_PIX_FMT_YUV422P; range = 1; break;
    case AV_PIX_FMT_YUVJ444P: fmt = AV_PIX_FMT_YUV444P; range = 1; break;
    case AV_PIX_FMT_YUVJ440P: fmt = AV_PIX_FMT_YUV440P; range = 1; break;
    case AV_PIX_FMT_YUVJ411P: fmt = AV_PIX_FMT_YUV411P; range = 1; break;
    default: break;
    }
    if (!f->sws || f->sws_w != w || f->sws_h != h || f->sws_fmt != fmt ||
        f->sws_range != range || f->sws_space != space) {
        sws_freeContext(f->sws);
        f->sws = NULL;
        if (!sws_isSupportedInput(fmt)) {
            return AVERROR_INVALIDDATA;
        }
        f->sws = sws_getContext(w, h, fmt, f->out_w, f->out_h, AV_PIX_FMT_BGR24,
                                SWS_BILINEAR, NULL, NULL, NULL);
        if (!f->sws) {
            return AVERROR_EXTERNAL;
        }
        // Fails (harmlessly) for non-YUV inputs such as gray; ignore.
        sws_setColorspaceDetails(f->sws, sws_getCoefficients(space), range,
                                 sws_getCoefficients(SWS_CS_DEFAULT), 1, 0,
                                 1 << 16, 1 << 16);
        f->sws_w = w;
        f->sws_h = h;
        f->sws_fmt = fmt;
        f->sws_range = range;
        f->sws_space = space;
    }
    {
        uint8_t *dst[4] = {f->bgr, NULL, NULL, NULL};
        int stride[4] = {f->out_w * 3, 0, 0, 0};
        if (sws_scale(f->sws, (const uint8_t *const *)fr->data, fr->linesize,
                      0, h, dst, stride) != f->out_h) {
            return AVERROR_EXTERNAL;
        }
    }
    return 0;
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
