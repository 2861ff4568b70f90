package ingest

import (
	"context"
	"net"
	"sync"
)

// connSet dials a session's TCP connections and can close them all from
// another goroutine, which aborts any RTSP request waiting on them.
type connSet struct {
	mu     sync.Mutex
	conns  []net.Conn
	closed bool
}

func (s *connSet) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return nil, context.Canceled
	}
	s.conns = append(s.conns, c)
	return c, nil
}

// closeAll closes every connection dialled so far and refuses new ones.
func (s *connSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
}
