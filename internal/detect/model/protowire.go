package model

// Protobuf wire-format walker used by the ONNX check in onnx.go; see the
// note there for why it is hand-written.

import "fmt"

// Wire types of the protobuf encoding.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// wireError reports a malformed protobuf at an absolute byte offset.
type wireError struct {
	off       int
	truncated bool
	msg       string
}

func (e *wireError) Error() string {
	if e.truncated {
		return fmt.Sprintf("truncated protobuf at byte %d%s", e.off, e.msg)
	}
	return fmt.Sprintf("malformed protobuf at byte %d: %s", e.off, e.msg)
}

// pbField is one decoded protobuf field.
type pbField struct {
	num  int
	wire int
	val  uint64 // varint / fixed value
	data []byte // payload of a length-delimited field
	off  int    // absolute offset of the tag
	doff int    // absolute offset of data
}

// pbReader walks the fields of one protobuf message.
type pbReader struct {
	b    []byte
	pos  int
	base int // absolute offset of b[0] in the file
}

func (r *pbReader) varint() (uint64, error) {
	start := r.pos
	var v uint64
	for i := 0; i < 10; i++ {
		if r.pos >= len(r.b) {
			return 0, &wireError{off: r.base + start, truncated: true, msg: " (unterminated varint)"}
		}
		c := r.b[r.pos]
		r.pos++
		if i == 9 && c > 1 {
			return 0, &wireError{off: r.base + start, msg: "varint overflows 64 bits"}
		}
		v |= uint64(c&0x7f) << (7 * uint(i))
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, &wireError{off: r.base + start, msg: "varint longer than 10 bytes"}
}

// next returns the next field; ok is false at the end of the message.
func (r *pbReader) next() (f pbField, ok bool, err error) {
	if r.pos >= len(r.b) {
		return f, false, nil
	}
	f.off = r.base + r.pos
	tag, err := r.varint()
	if err != nil {
		return f, false, err
	}
	num := tag >> 3
	if num == 0 || num > 1<<29-1 {
		return f, false, &wireError{off: f.off, msg: fmt.Sprintf("invalid field number %d", num)}
	}
	f.num, f.wire = int(num), int(tag&7)
	switch f.wire {
	case wireVarint:
		f.val, err = r.varint()
	case wireFixed64, wireFixed32:
		n := 8
		if f.wire == wireFixed32 {
			n = 4
		}
		if len(r.b)-r.pos < n {
			return f, false, &wireError{off: f.off, truncated: true,
				msg: fmt.Sprintf(" (field %d needs %d bytes, %d left)", f.num, n, len(r.b)-r.pos)}
		}
		for i := n - 1; i >= 0; i-- {
			f.val = f.val<<8 | uint64(r.b[r.pos+i])
		}
		r.pos += n
	case wireBytes:
		var n uint64
		n, err = r.varint()
		if err == nil && n > uint64(len(r.b)-r.pos) {
			return f, false, &wireError{off: f.off, truncated: true,
				msg: fmt.Sprintf(" (field %d needs %d bytes, %d left)", f.num, n, len(r.b)-r.pos)}
		}
		if err == nil {
			f.doff = r.base + r.pos
			f.data = r.b[r.pos : r.pos+int(n)]
			r.pos += int(n)
		}
	default:
		return f, false, &wireError{off: f.off, msg: fmt.Sprintf("field %d has unsupported wire type %d", f.num, f.wire)}
	}
	if err != nil {
		return f, false, err
	}
	return f, true, nil
}

// walk calls fn for every field of the message in b (at absolute offset
// base), failing on the first malformed field or when fn fails.
func walk(b []byte, base int, fn func(f pbField) error) error {
	r := pbReader{b: b, base: base}
	for {
		f, ok, err := r.next()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if err := fn(f); err != nil {
			return err
		}
	}
}

// wantWire checks the wire type of a known field.
func wantWire(f pbField, msg string, wire int) error {
	if f.wire != wire {
		return &wireError{off: f.off, msg: fmt.Sprintf("%s field %d has wire type %d, want %d", msg, f.num, f.wire, wire)}
	}
	return nil
}
