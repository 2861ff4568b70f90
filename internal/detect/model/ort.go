package model

// ONNX Runtime backend, through github.com/yalue/onnxruntime_go, which
// loads libonnxruntime.so at run time (dlopen) and binds its C API. ONNX
// Runtime reports a malformed or unsupported model as an OrtStatus error,
// never an exception through cgo, so nothing here can abort the process.

import (
	"errors"
	"fmt"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/models/assets"
)

// ortEnv is ONNX Runtime's process-wide environment: initialised once, for
// one library path.
var ortEnv struct {
	mu   sync.Mutex
	path string // set once a library loaded
}

// InitRuntime loads ONNX Runtime's library at path into the process (once;
// later calls must name the same library), for the other models of the
// detect stage (the plate reader) that share the detector's runtime.
func InitRuntime(path string) error { return initORT(path) }

// initORT loads the library at path and creates the environment; later
// calls must name the same library. A failed load can be retried.
func initORT(path string) error {
	ortEnv.mu.Lock()
	defer ortEnv.mu.Unlock()
	if ortEnv.path != "" {
		if ortEnv.path != path && !sameContent(ortEnv.path, path) {
			return fmt.Errorf("onnxruntime already loaded from %s (one library per process), not %s", ortEnv.path, path)
		}
		return nil
	}
	ort.SetSharedLibraryPath(path)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("onnxruntime: load %s: %w", path, err)
	}
	ortEnv.path = path
	return nil
}

// ortNet is one ONNX Runtime session with its input and output tensors
// allocated once and reused by every forward pass.
type ortNet struct {
	sess     *ort.AdvancedSession
	in, out  *ort.Tensor[float32]
	outShape []int
}

// loadORT builds a session for model (already checked by checkONNX) with
// the given input and output shapes; threads is the intra-op thread count
// (0: 1 thread, the cheapest per inference on a shared node).
func loadORT(lib string, model []byte, input string, inShape []int64, output string, outShape []int64, threads int) (*ortNet, error) {
	if err := initORT(lib); err != nil {
		return nil, err
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	defer release(opts)
	if threads <= 0 {
		threads = 1
	}
	if err := opts.SetIntraOpNumThreads(threads); err != nil {
		return nil, err
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		return nil, err
	}
	// Idle pool threads would otherwise spin and take CPU from decoding.
	if err := opts.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
		return nil, err
	}
	in, err := ort.NewEmptyTensor[float32](ort.NewShape(inShape...))
	if err != nil {
		return nil, err
	}
	out, err := ort.NewEmptyTensor[float32](ort.NewShape(outShape...))
	if err != nil {
		release(in)
		return nil, err
	}
	sess, err := ort.NewAdvancedSessionWithONNXData(model, []string{input}, []string{output},
		[]ort.Value{in}, []ort.Value{out}, opts)
	if err != nil {
		release(in, out)
		return nil, err
	}
	n := &ortNet{sess: sess, in: in, out: out}
	for _, d := range outShape {
		n.outShape = append(n.outShape, int(d))
	}
	return n, nil
}

// forward copies blob (a float32 NCHW Mat of the input's size) into the
// input tensor, runs the session and copies the output into out.
func (n *ortNet) forward(blob gocv.Mat, out []float32) ([]int, error) {
	if n == nil || n.sess == nil {
		return nil, errors.New("network is closed")
	}
	src, err := blob.DataPtrFloat32()
	if err != nil {
		return nil, fmt.Errorf("input blob: %w", err)
	}
	dst := n.in.GetData()
	if len(src) != len(dst) {
		return nil, fmt.Errorf("input blob has %d values, the network takes %d", len(src), len(dst))
	}
	copy(dst, src)
	if err := n.sess.Run(); err != nil {
		return nil, err
	}
	res := n.out.GetData()
	if len(res) > len(out) {
		return n.outShape, errOutputTooBig
	}
	copy(out, res)
	return n.outShape, nil
}

// close frees the session and its tensors; calling it again is a no-op.
func (n *ortNet) close() {
	if n == nil || n.sess == nil {
		return
	}
	release(n.sess, n.in, n.out)
	n.sess = nil
}

// release frees ONNX Runtime objects, in order. Their Destroy methods free
// C memory and fail only for an object never created or already freed,
// which the callers rule out: there is no error to report (Detector.Close
// always returns nil).
func release(objs ...interface{ Destroy() error }) {
	for _, o := range objs {
		_ = o.Destroy()
	}
}

// sameContent reports whether files a and b hold the same bytes (two
// copies of one library, for example in two asset caches).
func sameContent(a, b string) bool {
	da, errA := assets.SHA256File(a)
	db, errB := assets.SHA256File(b)
	return errA == nil && errB == nil && da == db
}
