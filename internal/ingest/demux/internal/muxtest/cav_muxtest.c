// Stream copy of one stream into a new container, for package muxtest.
#include <errno.h>

#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/log.h>

#include "muxtest.h"

void pmx_strerror(int err, char *buf, size_t size) {
    if (av_strerror(err, buf, size) < 0 && size > 0) {
        buf[0] = '\0';
    }
}

// copy_packets writes every packet of stream si of in to the only stream
// of out, then the trailer.
static int copy_packets(AVFormatContext *in, int si, AVFormatContext *out) {
    AVPacket *pkt = av_packet_alloc();
    int ret;

    if (!pkt) {
        return AVERROR(ENOMEM);
    }
    while ((ret = av_read_frame(in, pkt)) >= 0) {
        if (pkt->stream_index != si) {
            av_packet_unref(pkt);
            continue;
        }
        pkt->stream_index = 0;
        pkt->pos = -1;
        av_packet_rescale_ts(pkt, in->streams[si]->time_base,
                             out->streams[0]->time_base);
        ret = av_interleaved_write_frame(out, pkt);
        if (ret < 0) {
            break;
        }
    }
    av_packet_free(&pkt);
    if (ret == AVERROR_EOF) {
        ret = av_write_trailer(out);
    }
    return ret;
}

int pmx_remux(const char *src, const char *dst, const char *format, int audio) {
    AVFormatContext *in = NULL, *out = NULL;
    AVStream *st;
    int ret, si;

    av_log_set_level(AV_LOG_QUIET);
    ret = avformat_open_input(&in, src, NULL, NULL);
    if (ret >= 0) {
        ret = avformat_find_stream_info(in, NULL);
    }
    if (ret >= 0) {
        ret = av_find_best_stream(in, audio ? AVMEDIA_TYPE_AUDIO : AVMEDIA_TYPE_VIDEO,
                                  -1, -1, NULL, 0);
    }
    si = ret;
    if (ret >= 0) {
        ret = avformat_alloc_output_context2(&out, NULL, format, dst);
    }
    if (ret >= 0) {
        st = avformat_new_stream(out, NULL);
        ret = st ? avcodec_parameters_copy(st->codecpar, in->streams[si]->codecpar)
                 : AVERROR(ENOMEM);
    }
    if (ret >= 0) {
        st->codecpar->codec_tag = 0;
        st->time_base = in->streams[si]->time_base;
        ret = avio_open(&out->pb, dst, AVIO_FLAG_WRITE);
    }
    if (ret >= 0) {
        ret = avformat_write_header(out, NULL);
        if (ret >= 0) {
            ret = copy_packets(in, si, out);
        }
    }
    if (out) {
        avio_closep(&out->pb);
        avformat_free_context(out);
    }
    avformat_close_input(&in);
    return ret;
}
