package model

import (
	"errors"
	"math/rand"
	"os"
	"strings"
	"testing"
)

// pb is a minimal protobuf encoder for synthesizing ONNX models in tests.
type pb []byte

func (b pb) tag(field, wire int) pb { return b.uvarint(uint64(field<<3 | wire)) }

func (b pb) uvarint(v uint64) pb {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func (b pb) varint(field int, v uint64) pb { return b.tag(field, wireVarint).uvarint(v) }

func (b pb) bytes(field int, data []byte) pb {
	return append(b.tag(field, wireBytes).uvarint(uint64(len(data))), data...)
}

func (b pb) str(field int, s string) pb { return b.bytes(field, []byte(s)) }

// valueInfo encodes a float32 ValueInfoProto with the given shape.
func valueInfo(name string, dims []int64) []byte {
	var shape pb
	for _, d := range dims {
		shape = shape.bytes(1, pb(nil).varint(1, uint64(d)))
	}
	tensor := pb(nil).varint(1, 1).bytes(2, shape)
	typ := pb(nil).bytes(1, tensor)
	return pb(nil).str(1, name).bytes(2, typ)
}

// tinyModel encodes an ONNX model with a single node op(images) -> output
// and the declared input/output shapes.
func tinyModel(op string, inDims, outDims []int64) []byte {
	node := pb(nil).str(1, "images").str(2, "output").str(3, "n0").str(4, op)
	graph := pb(nil).bytes(1, node).str(2, "tiny").
		bytes(11, valueInfo("images", inDims)).
		bytes(12, valueInfo("output", outDims))
	opset := pb(nil).str(1, "").varint(2, 11)
	return pb(nil).varint(1, 7).str(2, "patrol-test").bytes(7, graph).bytes(8, opset)
}

var (
	yoloxIn  = []int64{1, 3, 416, 416}
	yoloxOut = []int64{1, 3549, 85}
)

func TestCheckONNX(t *testing.T) {
	good := tinyModel("Identity", yoloxIn, yoloxOut)
	tests := []struct {
		name    string
		data    []byte
		wantErr string // substring; "" means valid
	}{
		{"tiny valid", good, ""},
		{"empty", nil, "empty file"},
		{"truncated", good[:len(good)-3], "truncated protobuf at byte"},
		{"truncated in graph", good[:40], "truncated protobuf at byte 15 (field 7 needs"},
		{"no graph", pb(nil).varint(1, 7).str(2, "x"), "no graph"},
		{"graph wrong wire type", pb(nil).varint(7, 1), "wire type 0, want 2"},
		{"field zero", []byte{0x00, 0x01}, "invalid field number 0"},
		{"group wire type", []byte{0x0b}, "unsupported wire type 3"},
		{"unterminated varint", []byte{0x08, 0xff, 0xff}, "truncated protobuf at byte 1"},
		{"varint overflow", []byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, "overflows"},
		{"huge length", []byte{0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f}, "truncated protobuf at byte 0"},
		{"no nodes", pb(nil).bytes(7, pb(nil).str(2, "g")), "no nodes"},
		{"text file", []byte("hello, world\n"), "protobuf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := checkONNX(tc.data)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("checkONNX: %v", err)
				}
				if len(info.inputs) != 1 || info.inputs[0].name != "images" || !dimsMatch(info.inputs[0].dims, yoloxIn) {
					t.Errorf("inputs = %+v", info.inputs)
				}
				if len(info.outputs) != 1 || !dimsMatch(info.outputs[0].dims, yoloxOut) {
					t.Errorf("outputs = %+v", info.outputs)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("checkONNX error = %v, want containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestCheckONNXRealModel(t *testing.T) {
	data, err := os.ReadFile(modelPath(t))
	if err != nil {
		t.Fatal(err)
	}
	info, err := checkONNX(data)
	if err != nil {
		t.Fatalf("real model rejected: %v", err)
	}
	if err := checkIO(info, yoloxIn, yoloxOut); err != nil {
		t.Errorf("checkIO: %v", err)
	}
	// Every cut inside the graph field must be caught; sample a few.
	for _, n := range []int{1, 10, 100, len(data) / 3, len(data) / 2, len(data) - 1} {
		if _, err := checkONNX(data[:n]); err == nil {
			t.Errorf("prefix of %d bytes accepted", n)
		}
	}
}

func FuzzCheckONNX(f *testing.F) {
	good := tinyModel("Identity", yoloxIn, yoloxOut)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(tinyModel("Conv", []int64{1, 3, 640, 640}, []int64{1, 8400, 85}))
	f.Add([]byte{})
	f.Add([]byte{0x3a, 0x00})
	rnd := rand.New(rand.NewSource(1))
	junk := make([]byte, 64)
	rnd.Read(junk)
	f.Add(junk)
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := checkONNX(data)
		if err != nil {
			var we *wireError
			if errors.As(err, &we) && (we.off < 0 || we.off > len(data)) {
				t.Fatalf("error offset %d outside [0,%d]: %v", we.off, len(data), err)
			}
			return
		}
		if info.nodes == 0 {
			t.Fatalf("accepted a graph without nodes")
		}
		for _, v := range append(info.inputs, info.outputs...) {
			if len(v.dims) > len(data) {
				t.Fatalf("%d dims from %d bytes", len(v.dims), len(data))
			}
		}
		// The check is deterministic.
		if _, err2 := checkONNX(data); err2 != nil {
			t.Fatalf("second check failed: %v", err2)
		}
	})
}
