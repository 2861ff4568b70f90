package ingest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/testkit/sim"
)

// selfSigned returns a server certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "patrol-sim"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// udpPairs guards the UDP ports freeUDPPair has handed out: tests that run
// in parallel each get a pair of their own, never one another test's
// server is about to bind.
var udpPairs struct {
	sync.Mutex
	given map[int]bool
}

func freeUDPPair(t *testing.T) (string, string) {
	t.Helper()
	udpPairs.Lock()
	defer udpPairs.Unlock()
	if udpPairs.given == nil {
		udpPairs.given = map[int]bool{}
	}
	for p := 20000 + int(time.Now().UnixNano()%20000)&^1; ; p += 2 {
		if p+1 > 65535 {
			p = 20000
		}
		if udpPairs.given[p] {
			continue
		}
		a, err1 := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", itoa(p)))
		b, err2 := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", itoa(p+1)))
		if a != nil {
			a.Close()
		}
		if b != nil {
			b.Close()
		}
		if err1 == nil && err2 == nil {
			udpPairs.given[p] = true
			return net.JoinHostPort("127.0.0.1", itoa(p)), net.JoinHostPort("127.0.0.1", itoa(p+1))
		}
	}
}

func itoa(i int) string { return big.NewInt(int64(i)).String() }

// TestTransports: the same stream over UDP, TCP, automatic choice and
// rtsps:// (TLS) reaches detection; a TLS camera with an untrusted
// certificate fails with an error.
func TestTransports(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	for _, tc := range []struct {
		name      string
		srv       sim.ServerConfig
		udp       bool // the server also offers UDP (on a pair of ports of its own)
		transport string
		tls       *tls.Config
		wantOK    bool
	}{
		{"udp", sim.ServerConfig{}, true, "udp", nil, true},
		{"auto", sim.ServerConfig{}, true, "auto", nil, true},
		{"rtsps", sim.ServerConfig{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}}, false, "tcp", &tls.Config{RootCAs: pool}, true},
		{"rtsps untrusted", sim.ServerConfig{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}}, false, "tcp", &tls.Config{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.srv.Address = "127.0.0.1:0"
			if tc.udp {
				tc.srv.UDPRTPAddress, tc.srv.UDPRTCPAddress = freeUDPPair(t)
			}
			srv, err := sim.NewServer(tc.srv, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			if err := srv.Add("cam", testStream(t, media.H264, 10, 10, 40)); err != nil {
				t.Fatal(err)
			}
			var frames atomic.Int64
			cam, err := New(Config{CameraID: tc.name, URL: srv.URL("cam"), Transport: tc.transport, TLS: tc.tls,
				BackoffBase: 200 * time.Millisecond, BackoffMax: 500 * time.Millisecond},
				Deps{NewDecoder: newDecoder, OnFrame: func(media.Frame) { frames.Add(1) }})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = cam.Run(ctx)
			n := frames.Load()
			if tc.wantOK && n < 3 {
				st, reason := cam.State()
				t.Fatalf("%d frames over %s (state %s: %s)", n, tc.name, st, reason)
			}
			if !tc.wantOK {
				st, reason := cam.State()
				if n != 0 || reason == "" {
					t.Fatalf("untrusted TLS camera delivered %d frames (state %s %q)", n, st, reason)
				}
				t.Logf("untrusted: %s", reason)
			}
		})
	}
}
