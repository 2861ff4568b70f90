#include "cvshim.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

static char* dup_msg(const std::string& s) {
    char* p = static_cast<char*>(std::malloc(s.size() + 1));
    if (p != NULL) {
        std::memcpy(p, s.c_str(), s.size() + 1);
    }
    return p;
}

static void set_err(char** err, const char* what) {
    if (err != NULL) {
        *err = dup_msg(what != NULL ? std::string(what) : std::string("unknown C++ exception"));
    }
}

void detect_set_num_threads(int n) {
    try {
        cv::setNumThreads(n);
    } catch (...) {
    }
}

DetectNet detect_net_from_onnx(const char* buf, size_t len, char** err) {
    try {
        cv::dnn::Net net = cv::dnn::readNetFromONNX(buf, len);
        if (net.empty()) {
            set_err(err, "OpenCV loaded an empty network");
            return NULL;
        }
        return new cv::dnn::Net(net);
    } catch (const std::exception& e) {
        set_err(err, e.what());
    } catch (...) {
        set_err(err, NULL);
    }
    return NULL;
}

void detect_net_close(DetectNet n) {
    try {
        delete static_cast<cv::dnn::Net*>(n);
    } catch (...) {
    }
}

int detect_net_forward(DetectNet n, void* blob, float* out, size_t cap,
                       int* dims, int* ndims, char** err) {
    try {
        cv::dnn::Net* net = static_cast<cv::dnn::Net*>(n);
        const cv::Mat* in = static_cast<const cv::Mat*>(blob);
        net->setInput(*in);
        cv::Mat res = net->forward();
        if (res.depth() != CV_32F || res.channels() != 1) {
            set_err(err, "network output is not single-channel float32");
            return -1;
        }
        if (res.dims > 8) {
            set_err(err, "network output has more than 8 dimensions");
            return -1;
        }
        *ndims = res.dims;
        for (int i = 0; i < res.dims; i++) {
            dims[i] = res.size[i];
        }
        size_t total = res.total();
        if (total > cap) {
            return 1;
        }
        if (!res.isContinuous()) {
            res = res.clone();
        }
        std::memcpy(out, res.ptr<float>(), total * sizeof(float));
        return 0;
    } catch (const std::exception& e) {
        set_err(err, e.what());
    } catch (...) {
        set_err(err, NULL);
    }
    return -1;
}
