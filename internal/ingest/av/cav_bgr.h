// cav_bgr.h: a decoded AVFrame to packed BGR24 through libswscale, shared
// by ingest/av's decoder and ingest/demux's transcoder. Header-only
// (static functions) so that each cgo package compiles its own copy; the
// demuxer includes it with -I${SRCDIR}/../av.
#ifndef PATROL_CAV_BGR_H
#define PATROL_CAV_BGR_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>
#include <libswscale/swscale.h>

// pav_bgr is a cached scaler: kept while the input (size, format, range,
// colour space) and the output size stay the same.
typedef struct {
    struct SwsContext *sws;
    int w, h, fmt, range, space, dw, dh;
} pav_bgr;

static inline void pav_bgr_free(pav_bgr *b) {
    sws_freeContext(b->sws);
    b->sws = NULL;
}

// pav_bgr_space maps a frame's colour space to libswscale's coefficients.
static inline int pav_bgr_space(int colorspace) {
    switch (colorspace) {
    case AVCOL_SPC_BT709: return SWS_CS_ITU709;
    case AVCOL_SPC_FCC: return SWS_CS_FCC;
    case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
    default: return SWS_CS_DEFAULT;
    }
}

// pav_bgr_scale converts the top-left w x h of fr to dw x dh packed BGR24
// at dst (stride dw * 3), honouring the frame's range and colour space.
// The caller has checked the sizes and sized dst.
static inline int pav_bgr_scale(pav_bgr *b, const AVFrame *fr, int w, int h,
                                int dw, int dh, uint8_t *dst) {
    int fmt = fr->format;
    int range = fr->color_range == AVCOL_RANGE_JPEG;
    int space = pav_bgr_space(fr->colorspace);

    // Map the deprecated full-range "J" formats to their plain twins.
    switch (fmt) {
    case AV_PIX_FMT_YUVJ420P: fmt = AV_PIX_FMT_YUV420P; range = 1; break;
    case AV_PIX_FMT_YUVJ422P: fmt = AV_PIX_FMT_YUV422P; range = 1; break;
    case AV_PIX_FMT_YUVJ444P: fmt = AV_PIX_FMT_YUV444P; range = 1; break;
    case AV_PIX_FMT_YUVJ440P: fmt = AV_PIX_FMT_YUV440P; range = 1; break;
    case AV_PIX_FMT_YUVJ411P: fmt = AV_PIX_FMT_YUV411P; range = 1; break;
    default: break;
    }
    if (!b->sws || b->w != w || b->h != h || b->fmt != fmt || b->range != range ||
        b->space != space || b->dw != dw || b->dh != dh) {
        pav_bgr_free(b);
        if (!sws_isSupportedInput(fmt)) {
            return AVERROR_INVALIDDATA;
        }
        b->sws = sws_getContext(w, h, fmt, dw, dh, AV_PIX_FMT_BGR24, SWS_BILINEAR,
                                NULL, NULL, NULL);
        if (!b->sws) {
            return AVERROR_EXTERNAL;
        }
        // Fails (harmlessly) for non-YUV inputs such as gray; ignore.
        sws_setColorspaceDetails(b->sws, sws_getCoefficients(space), range,
                                 sws_getCoefficients(SWS_CS_DEFAULT), 1, 0,
                                 1 << 16, 1 << 16);
        b->w = w;
        b->h = h;
        b->fmt = fmt;
        b->range = range;
        b->space = space;
        b->dw = dw;
        b->dh = dh;
    }
    {
        uint8_t *d[4] = {dst, NULL, NULL, NULL};
        int stride[4] = {dw * 3, 0, 0, 0};
        if (sws_scale(b->sws, (const uint8_t *const *)fr->data, fr->linesize, 0, h,
                      d, stride) != dh) {
            return AVERROR_EXTERNAL;
        }
    }
    return 0;
}

#endif
