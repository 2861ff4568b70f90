// C helpers for package av. Everything that touches libav* structures lives
// on the C side; Go only sees opaque handles, plain integers and buffers that
// C owns (allocated with av_malloc).
#ifndef PATROL_AV_CAV_H
#define PATROL_AV_CAV_H

#include <stddef.h>
#include <stdint.h>

enum { PAV_H264 = 0, PAV_H265 = 1 };

typedef struct pav_decoder pav_decoder;
typedef struct pav_encoder pav_encoder;

void pav_init_logging(void);
void pav_strerror(int err, char *buf, size_t size);
int pav_eagain(void);

int pav_decoder_new(int codec, pav_decoder **out);
uint8_t *pav_decoder_packet(pav_decoder *d, int size);
int pav_decoder_decode(pav_decoder *d, int flush, uint8_t **bgr, int *width, int *height);
int pav_decoder_reset(pav_decoder *d);
void pav_decoder_set_max_size(pav_decoder *d, int w, int h);
void pav_decoder_free(pav_decoder *d);

int pav_encoder_new(int codec, int width, int height, int fps, int gop,
                    int64_t bitrate, const char *preset, int bframes,
                    pav_encoder **out);
uint8_t *pav_encoder_input(pav_encoder *e);
int pav_encoder_encode(pav_encoder *e, uint8_t **data, int *size, int *key,
                       int64_t *pts);
int pav_encoder_flush(pav_encoder *e, uint8_t **data, int *size, int *key,
                      int64_t *pts);
void pav_encoder_free(pav_encoder *e);

#endif
