// gen.c writes the B-frame test streams used by bframes_test.go:
// 128x96, 60 frames of synthFrame (see helpers_test.go), GOP 10 (IDR),
// 2 B-frames, as records of [u32 big-endian size][u8 key][Annex-B packet],
// in decoding order. Build and run from this directory:
//
//	cc -O2 -o /tmp/gen gen.c $(pkg-config --cflags --libs libavcodec libavutil libswscale)
//	/tmp/gen libx264 h264.bin && /tmp/gen libx265 h265.bin
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

#define W 128
#define H 96
#define N 60

static void synth(uint8_t *bgr, int i) {
    int sx = (i * 7) % (W - 32), sy = (i * 3) % (H - 32);
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            uint8_t *p = bgr + 3 * (y * W + x);
            p[0] = (uint8_t)((x + 2 * i) * 255 / (W + 2 * i));
            p[1] = (uint8_t)(y * 255 / H);
            p[2] = (uint8_t)(((x + y) / 2 + 4 * i) % 256);
            if (x >= sx && x < sx + 32 && y >= sy && y < sy + 32) {
                p[0] = p[1] = p[2] = 230;
            }
        }
    }
}

static int drain(AVCodecContext *ctx, AVPacket *pkt, FILE *f) {
    int ret;
    while ((ret = avcodec_receive_packet(ctx, pkt)) >= 0) {
        uint8_t hdr[5] = {pkt->size >> 24, pkt->size >> 16, pkt->size >> 8,
                          pkt->size, (pkt->flags & AV_PKT_FLAG_KEY) != 0};
        fwrite(hdr, 1, 5, f);
        fwrite(pkt->data, 1, pkt->size, f);
        av_packet_unref(pkt);
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: gen libx264|libx265 out.bin\n");
        return 2;
    }
    const AVCodec *c = avcodec_find_encoder_by_name(argv[1]);
    AVCodecContext *ctx = c ? avcodec_alloc_context3(c) : NULL;
    if (!ctx) {
        return 1;
    }
    ctx->width = W;
    ctx->height = H;
    ctx->pix_fmt = AV_PIX_FMT_YUV420P;
    ctx->time_base = (AVRational){1, 10};
    ctx->gop_size = 10;
    ctx->max_b_frames = 2;
    ctx->bit_rate = 100000;
    AVDictionary *opts = NULL;
    av_dict_set(&opts, "preset", "veryfast", 0);
    av_dict_set(&opts, "x264-params", "scenecut=0:b-adapt=0:bframes=2", 0);
    av_dict_set(&opts, "x265-params",
                "scenecut=0:b-adapt=0:bframes=2:open-gop=0:log-level=error", 0);
    if (avcodec_open2(ctx, c, &opts) < 0) {
        return 1;
    }
    AVFrame *fr = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    fr->format = AV_PIX_FMT_YUV420P;
    fr->width = W;
    fr->height = H;
    if (av_frame_get_buffer(fr, 0) < 0) {
        return 1;
    }
    struct SwsContext *sws = sws_getContext(W, H, AV_PIX_FMT_BGR24, W, H,
                                            AV_PIX_FMT_YUV420P, SWS_BILINEAR,
                                            NULL, NULL, NULL);
    static uint8_t bgr[W * H * 3 + 256];
    FILE *f = fopen(argv[2], "wb");
    if (!f || !sws) {
        return 1;
    }
    for (int i = 0; i < N; i++) {
        const uint8_t *src[4] = {bgr};
        int stride[4] = {3 * W};
        synth(bgr, i);
        if (av_frame_make_writable(fr) < 0) {
            return 1;
        }
        sws_scale(sws, src, stride, 0, H, fr->data, fr->linesize);
        fr->pts = i;
        if (avcodec_send_frame(ctx, fr) < 0 || drain(ctx, pkt, f) < 0) {
            return 1;
        }
    }
    if (avcodec_send_frame(ctx, NULL) < 0 || drain(ctx, pkt, f) < 0) {
        return 1;
    }
    fclose(f);
    return 0;
}
