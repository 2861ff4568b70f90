package model

// This file binds the small C++ shim in cvshim.cpp. gocv v0.31 calls
// cv::dnn::readNet and Net::forward without a C++ try/catch, so an OpenCV
// exception there unwinds through cgo and aborts the whole process. The shim
// wraps exactly those calls (and cv::setNumThreads, which gocv does not
// expose) and turns exceptions into Go errors. Image handling still uses gocv.

/*
#cgo !windows pkg-config: opencv4
#cgo CXXFLAGS: --std=c++11
#include <stdlib.h>
#include "cvshim.h"
*/
import "C"

import (
	"errors"
	"unsafe"

	"gocv.io/x/gocv"
)

// cvNet is an OpenCV DNN network owned by Go.
type cvNet struct {
	p C.DetectNet
}

// setNumThreads sets OpenCV's process-wide worker thread count.
func setNumThreads(n int) {
	C.detect_set_num_threads(C.int(n))
}

// takeErr converts and frees a C error string.
func takeErr(p *C.char) error {
	if p == nil {
		return errors.New("unknown OpenCV error")
	}
	defer C.free(unsafe.Pointer(p))
	return errors.New(C.GoString(p))
}

// loadONNX builds a network from an in-memory ONNX model.
func loadONNX(model []byte) (*cvNet, error) {
	if len(model) == 0 {
		return nil, errors.New("empty model")
	}
	var cerr *C.char
	p := C.detect_net_from_onnx((*C.char)(unsafe.Pointer(&model[0])), C.size_t(len(model)), &cerr)
	if p == nil {
		return nil, takeErr(cerr)
	}
	return &cvNet{p: p}, nil
}

// close frees the network; calling it again is a no-op.
func (n *cvNet) close() {
	if n == nil || n.p == nil {
		return
	}
	C.detect_net_close(n.p)
	n.p = nil
}

// forward runs the network on blob and copies its output into out, which
// must be non-empty. It returns the output shape. If the output holds more
// than len(out) values, errOutputTooBig is returned together with the shape.
func (n *cvNet) forward(blob gocv.Mat, out []float32) ([]int, error) {
	if n == nil || n.p == nil {
		return nil, errors.New("network is closed")
	}
	if len(out) == 0 {
		return nil, errors.New("internal: empty output buffer")
	}
	var (
		dims  [8]C.int
		ndims C.int
		cerr  *C.char
	)
	rc := C.detect_net_forward(n.p, unsafe.Pointer(blob.Ptr()),
		(*C.float)(unsafe.Pointer(&out[0])), C.size_t(len(out)),
		&dims[0], &ndims, &cerr)
	if rc < 0 {
		return nil, takeErr(cerr)
	}
	shape := make([]int, int(ndims))
	for i := range shape {
		shape[i] = int(dims[i])
	}
	if rc == 1 {
		return shape, errOutputTooBig
	}
	return shape, nil
}

var errOutputTooBig = errors.New("network output larger than expected")
