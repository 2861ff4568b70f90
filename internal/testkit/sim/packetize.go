package sim

import (
	"fmt"

	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/pion/rtp"
)

// newPacketizer returns a function that splits an access unit into RTP
// packets for the format.
func newPacketizer(f format.Format) (func([][]byte) ([]*rtp.Packet, error), error) {
	switch f := f.(type) {
	case *format.H264:
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, err
		}
		return enc.Encode, nil
	case *format.H265:
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, err
		}
		return enc.Encode, nil
	}
	return nil, fmt.Errorf("no packetizer for %s", f.Codec())
}
