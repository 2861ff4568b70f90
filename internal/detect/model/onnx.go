package model

// A minimal, hand-written ONNX sanity check.
//
// Why hand-written: OpenCV throws a C++ exception on a malformed model file,
// and gocv v0.31 does not catch it, so it would abort the process. We want
// to reject truncated, random or wrong-network files with a clear Go error
// (naming the byte offset or the mismatched shape) before OpenCV ever sees
// them. Our dependencies contain no Go ONNX / protobuf schema library
// (google.golang.org/protobuf is not in go.mod and generated onnx.pb.go code
// would add a module), and we only need a few fields, so protowire.go walks
// the protobuf wire format directly: checkONNX verifies every top-level
// field of the ModelProto (well-formed tags and varints, in-bounds lengths,
// up to EOF) and every field of the graph, and decodes just the graph's
// inputs/outputs (name, element type, shape). It only slices its input and
// never allocates based on lengths read from the file, so it is safe on
// arbitrary bytes (see FuzzCheckONNX). Whatever still makes OpenCV throw
// (e.g. an unsupported operator) is caught by the C++ shim in cvshim.cpp.

import (
	"fmt"
	"strconv"
	"strings"
)

// onnxValue is a graph input or output.
type onnxValue struct {
	name     string
	elemType int     // TensorProto.DataType; 1 = FLOAT, 0 = unset
	dims     []int64 // -1 for symbolic or unknown dimensions; nil if no shape
}

// shapeString formats dims as [1,3,416,416], with ? for unknown dimensions.
func shapeString(dims []int64) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		if d < 0 {
			parts[i] = "?"
		} else {
			parts[i] = strconv.FormatInt(d, 10)
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// onnxInfo is what checkONNX extracts from a model.
type onnxInfo struct {
	irVersion int64
	nodes     int
	inputs    []onnxValue
	outputs   []onnxValue
}

// ModelProto top-level fields and their wire types.
var modelFields = map[int]int{
	1:  wireVarint, // ir_version
	2:  wireBytes,  // producer_name
	3:  wireBytes,  // producer_version
	4:  wireBytes,  // domain
	5:  wireVarint, // model_version
	6:  wireBytes,  // doc_string
	7:  wireBytes,  // graph
	8:  wireBytes,  // opset_import
	14: wireBytes,  // metadata_props
	20: wireBytes,  // training_info
	25: wireBytes,  // functions
}

// checkONNX verifies that data is a well-formed ONNX ModelProto with a graph
// and returns the graph's inputs and outputs.
func checkONNX(data []byte) (*onnxInfo, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("empty file")
	}
	info := &onnxInfo{}
	var graph *pbField
	err := walk(data, 0, func(f pbField) error {
		if w, known := modelFields[f.num]; known {
			if err := wantWire(f, "ModelProto", w); err != nil {
				return err
			}
		}
		switch f.num {
		case 1:
			info.irVersion = int64(f.val)
		case 7:
			if graph != nil {
				return &wireError{off: f.off, msg: "ModelProto has more than one graph"}
			}
			g := f
			graph = &g
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if graph == nil {
		return nil, fmt.Errorf("not an ONNX model: no graph (ModelProto field 7)")
	}
	if err := parseGraph(graph.data, graph.doff, info); err != nil {
		return nil, err
	}
	return info, nil
}

// parseGraph walks a GraphProto, counting nodes and decoding inputs/outputs.
func parseGraph(b []byte, base int, info *onnxInfo) error {
	err := walk(b, base, func(f pbField) error {
		switch f.num {
		case 1, 11, 12: // node, input, output
			if err := wantWire(f, "GraphProto", wireBytes); err != nil {
				return err
			}
		}
		switch f.num {
		case 1:
			info.nodes++
		case 11, 12:
			v, err := parseValueInfo(f.data, f.doff)
			if err != nil {
				return err
			}
			if f.num == 11 {
				info.inputs = append(info.inputs, v)
			} else {
				info.outputs = append(info.outputs, v)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if info.nodes == 0 {
		return fmt.Errorf("ONNX graph has no nodes")
	}
	return nil
}

// parseValueInfo decodes ValueInfoProto{1: name, 2: TypeProto}.
func parseValueInfo(b []byte, base int) (onnxValue, error) {
	var v onnxValue
	err := walk(b, base, func(f pbField) error {
		switch f.num {
		case 1:
			if err := wantWire(f, "ValueInfoProto", wireBytes); err != nil {
				return err
			}
			v.name = string(f.data)
		case 2:
			if err := wantWire(f, "ValueInfoProto", wireBytes); err != nil {
				return err
			}
			// TypeProto{1: tensor_type}
			return walk(f.data, f.doff, func(t pbField) error {
				if t.num != 1 {
					return nil
				}
				if err := wantWire(t, "TypeProto", wireBytes); err != nil {
					return err
				}
				return parseTensorType(t.data, t.doff, &v)
			})
		}
		return nil
	})
	return v, err
}

// parseTensorType decodes TypeProto.Tensor{1: elem_type, 2: TensorShapeProto}.
func parseTensorType(b []byte, base int, v *onnxValue) error {
	return walk(b, base, func(f pbField) error {
		switch f.num {
		case 1:
			if err := wantWire(f, "TypeProto.Tensor", wireVarint); err != nil {
				return err
			}
			v.elemType = int(int32(f.val))
		case 2:
			if err := wantWire(f, "TypeProto.Tensor", wireBytes); err != nil {
				return err
			}
			v.dims = []int64{}
			// TensorShapeProto{1: Dimension{1: dim_value, 2: dim_param}}
			return walk(f.data, f.doff, func(d pbField) error {
				if d.num != 1 {
					return nil
				}
				if err := wantWire(d, "TensorShapeProto", wireBytes); err != nil {
					return err
				}
				dim := int64(-1)
				err := walk(d.data, d.doff, func(x pbField) error {
					if x.num == 1 && x.wire == wireVarint && int64(x.val) >= 0 {
						dim = int64(x.val)
					}
					return nil
				})
				v.dims = append(v.dims, dim)
				return err
			})
		}
		return nil
	})
}

// dimsMatch reports whether got equals want, where an unknown (-1) batch
// dimension in got matches anything.
func dimsMatch(got, want []int64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if i == 0 && got[i] < 0 {
			continue // unknown batch dimension
		}
		if got[i] != want[i] {
			return false
		}
	}
	return true
}
