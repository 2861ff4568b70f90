// Small C shim over OpenCV's DNN module for package detect. Every entry
// point catches C++ exceptions so that none can unwind through cgo (which
// would abort the Go process).
#ifndef PATROL_DETECT_CVSHIM_H
#define PATROL_DETECT_CVSHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void* DetectNet;

// detect_set_num_threads calls cv::setNumThreads(n).
void detect_set_num_threads(int n);

// detect_net_from_onnx loads an ONNX model from memory. On failure it
// returns NULL and sets *err to a malloc'd message the caller must free.
DetectNet detect_net_from_onnx(const char* buf, size_t len, char** err);

// detect_net_close frees a network. NULL is allowed.
void detect_net_close(DetectNet n);

// detect_net_forward sets blob (a cv::Mat*) as the network input, runs a
// forward pass and copies the float32 output into out (capacity cap
// floats). The output shape is written to dims (up to 8 entries) and
// *ndims. Returns 0 on success, 1 if the output does not fit in cap (dims
// are still set, nothing is copied), -1 on error with *err set.
int detect_net_forward(DetectNet n, void* blob, float* out, size_t cap,
                       int* dims, int* ndims, char** err);

#ifdef __cplusplus
}
#endif

#endif
