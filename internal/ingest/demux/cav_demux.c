// C side of package demux: libavformat opens a file and picks its video
// stream; its packets go to Go as they are (H.264/H.265), or through
// libavcodec and libswscale to packed BGR24 images for re-encoding.
#include <errno.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/mathematics.h>
#include <libavutil/mem.h>
#include <libswscale/swscale.h>

#include "demux.h"
#include "demux_internal.h"

void pdx_init_logging(void) { av_log_set_level(AV_LOG_QUIET); }

void pdx_strerror(int err, char *buf, size_t size) {
    if (av_strerror(err, buf, size) < 0 && size > 0) {
        buf[0] = '\0';
    }
}

int pdx_err_eof(void) { return AVERROR_EOF; }
int pdx_err_no_stream(void) { return AVERROR_STREAM_NOT_FOUND; }
int pdx_err_no_decoder(void) { return AVERROR_DECODER_NOT_FOUND; }

void pdx_close(pdx_file *f) {
    if (!f) {
        return;
    }
    avformat_close_input(&f->fc);
    av_packet_free(&f->pkt);
    avcodec_free_context(&f->dec);
    av_frame_free(&f->frame);
    pav_bgr_free(&f->conv);
    av_freep(&f->bgr);
    av_free(f);
}

// pdx_to_ns converts a timestamp in tb to nanoseconds (PDX_NOTS stays).
int64_t pdx_to_ns(int64_t ts, AVRational tb) {
    if (ts == AV_NOPTS_VALUE || tb.num <= 0 || tb.den <= 0) {
        return PDX_NOTS;
    }
    return av_rescale_q_rnd(ts, tb, (AVRational){1, 1000000000},
                            AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX);
}

static void fill_info(pdx_file *f, pdx_info *info) {
    AVStream *st = f->fc->streams[f->vi];
    AVCodecParameters *par = st->codecpar;
    AVRational fps = st->avg_frame_rate;

    switch (par->codec_id) {
    case AV_CODEC_ID_H264: info->codec = PDX_H264; break;
    case AV_CODEC_ID_HEVC: info->codec = PDX_H265; break;
    default: info->codec = PDX_OTHER; break;
    }
    av_strlcpy(info->codec_name, avcodec_get_name(par->codec_id),
               sizeof(info->codec_name));
    info->width = par->width > 0 ? par->width : 0;
    info->height = par->height > 0 ? par->height : 0;
    if (fps.num <= 0 || fps.den <= 0) {
        fps = st->r_frame_rate;
    }
    if (fps.num > 0 && fps.den > 0) {
        info->fps_num = fps.num;
        info->fps_den = fps.den;
    }
    if (f->fc->duration != AV_NOPTS_VALUE && f->fc->duration > 0) {
        info->duration_ns = pdx_to_ns(f->fc->duration, AV_TIME_BASE_Q);
    } else if (st->duration != AV_NOPTS_VALUE && st->duration > 0) {
        info->duration_ns = pdx_to_ns(st->duration, st->time_base);
    }
    if (info->duration_ns == PDX_NOTS || info->duration_ns < 0) {
        info->duration_ns = 0;
    }
}

static int is_video(const AVStream *st) {
    return st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
           !(st->disposition & AV_DISPOSITION_ATTACHED_PIC);
}

// pick_video returns libavformat's best video stream, or when that is an
// attached picture (cover art) the first real video stream.
static int pick_video(AVFormatContext *fc) {
    int ret = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (ret >= 0 && is_video(fc->streams[ret])) {
        return ret;
    }
    for (unsigned i = 0; i < fc->nb_streams; i++) {
        if (is_video(fc->streams[i])) {
            return (int)i;
        }
    }
    return AVERROR_STREAM_NOT_FOUND;
}

// pdx_open opens url (only the file protocol is allowed), reads the stream
// information and picks the best video stream (attached pictures such as
// cover art do not count). Other streams are discarded.
int pdx_open(const char *url, pdx_file **out, pdx_info *info) {
    AVDictionary *opts = NULL;
    pdx_file *f;
    int ret;

    *out = NULL;
    memset(info, 0, sizeof(*info));
    f = av_mallocz(sizeof(*f));
    if (!f) {
        return AVERROR(ENOMEM);
    }
    f->vi = -1;
    f->pkt = av_packet_alloc();
    f->frame = av_frame_alloc();
    if (!f->pkt || !f->frame) {
        pdx_close(f);
        return AVERROR(ENOMEM);
    }
    // A playlist (HLS, concat) must not make a recorded file reach out to
    // the network.
    ret = av_dict_set(&opts, "protocol_whitelist", "file", 0);
    if (ret >= 0) {
        ret = avformat_open_input(&f->fc, url, NULL, &opts);
    }
    av_dict_free(&opts);
    if (ret >= 0) {
        ret = avformat_find_stream_info(f->fc, NULL);
    }
    if (ret >= 0) {
        ret = pick_video(f->fc);
    }
    if (ret < 0) {
        pdx_close(f);
        return ret;
    }
    f->vi = ret;
    for (unsigned i = 0; i < f->fc->nb_streams; i++) {
        if ((int)i != f->vi) {
            f->fc->streams[i]->discard = AVDISCARD_ALL;
        }
    }
    fill_info(f, info);
    *out = f;
    return 0;
}

// pdx_extradata returns the video stream's extradata (avcC, hvcC or
// Annex-B parameter sets) and its size, 0 when there is none.
int pdx_extradata(pdx_file *f, uint8_t **data) {
    AVCodecParameters *par = f->fc->streams[f->vi]->codecpar;
    *data = par->extradata;
    return par->extradata && par->extradata_size > 0 ? par->extradata_size : 0;
}

// pdx_next_packet reads the next non-empty video packet into f->pkt, counting
// and dropping packets the demuxer flags as corrupt. Returns 0 or <0
// (AVERROR_EOF at the end).
int pdx_next_packet(pdx_file *f, int *skipped) {
    for (;;) {
        int ret;
        av_packet_unref(f->pkt);
        ret = av_read_frame(f->fc, f->pkt);
        if (ret < 0) {
            return ret;
        }
        if (f->pkt->stream_index != f->vi || f->pkt->size <= 0) {
            continue;
        }
        if (f->pkt->flags & AV_PKT_FLAG_CORRUPT) {
            (*skipped)++;
            continue;
        }
        return 0;
    }
}

// pdx_read returns the next video packet as it is stored (data owned by f
// until the next call) with its timestamps in nanoseconds. Returns 1, or <0
// (AVERROR_EOF at the end).
int pdx_read(pdx_file *f, uint8_t **data, int *size, int64_t *pts,
             int64_t *dts, int *skipped) {
    AVRational tb = f->fc->streams[f->vi]->time_base;
    int ret = pdx_next_packet(f, skipped);

    *data = NULL;
    *size = 0;
    *pts = *dts = PDX_NOTS;
    if (ret < 0) {
        return ret;
    }
    *data = f->pkt->data;
    *size = f->pkt->size;
    *pts = pdx_to_ns(f->pkt->pts, tb);
    *dts = pdx_to_ns(f->pkt->dts, tb);
    return 1;
}
