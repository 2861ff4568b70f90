package console

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// Device cookies keep a lockout from reaching a dispatcher's own browser
// (OWASP's "device cookies" against online guessing): a successful login
// sets patrol_device, naming the user and signed by the console. Failed
// logins are then counted apart for clients that present a valid device
// cookie for the user they log in as (per cookie), and for the others
// (per user, per address and per user and address). A stranger guessing
// passwords, behind the same proxy address or anywhere, locks out only
// clients without a device cookie: the dispatchers who logged in on this
// browser before keep logging in.
const (
	deviceCookie = "patrol_device"
	// deviceTTL is how long a device cookie is valid.
	deviceTTL = 90 * 24 * time.Hour
	// maxUserName bounds the user names the login handles (longer ones
	// fail without a password check and are not kept as keys).
	maxUserName = 64
	// addressMaxFailures is the limit of failed logins, any user names,
	// from one address for clients without a device cookie.
	addressMaxFailures = 3 * loginMaxFailures
)

// deviceSigner signs and checks device cookies with the key of
// console.device_key_file (the SHA-256 of its content), else with a key
// made when the console starts (a restart then turns old cookies into no
// cookie: their clients are counted like strangers until they log in).
type deviceSigner struct {
	key [32]byte
}

func newDeviceSigner(keyFile string) (*deviceSigner, error) {
	d := &deviceSigner{}
	if keyFile == "" {
		if _, err := rand.Read(d.key[:]); err != nil {
			return nil, err
		}
		return d, nil
	}
	raw, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("%w: console.device_key_file: %w", ErrConfig, err)
	}
	if len(bytes.TrimSpace(raw)) < 32 {
		return nil, fmt.Errorf("%w: console.device_key_file %s: at least 32 bytes", ErrConfig, keyFile)
	}
	d.key = sha256.Sum256(bytes.TrimSpace(raw))
	return d, nil
}

// issue returns a device cookie value for user: user, nonce and MAC,
// base64url, dot-separated.
func (d *deviceSigner) issue(user string) string {
	nonce := token()
	body := base64.RawURLEncoding.EncodeToString([]byte(user)) + "." + nonce
	return body + "." + d.mac(body)
}

func (d *deviceSigner) mac(body string) string {
	m := hmac.New(sha256.New, d.key[:])
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// device returns the id of r's device cookie when it is valid for user
// ("" otherwise).
func (d *deviceSigner) device(r *http.Request, user string) string {
	c, err := r.Cookie(deviceCookie)
	if err != nil || len(c.Value) > 512 {
		return ""
	}
	i := strings.LastIndexByte(c.Value, '.')
	if i < 0 {
		return ""
	}
	body, sum := c.Value[:i], c.Value[i+1:]
	if !hmac.Equal([]byte(sum), []byte(d.mac(body))) {
		return ""
	}
	name, nonce, ok := strings.Cut(body, ".")
	if !ok {
		return ""
	}
	u, err := base64.RawURLEncoding.DecodeString(name)
	if err != nil || string(u) != user {
		return ""
	}
	return nonce
}

// loginLimits are the limiter keys and limits of a login attempt.
type loginLimits []limit

type limit struct {
	key string
	max int
}

// limitsFor returns the limits of a login as user from address ip, by
// device id dev ("" without a valid device cookie).
func limitsFor(user, ip, dev string) loginLimits {
	if dev != "" {
		return loginLimits{{"device:" + dev, loginMaxFailures}}
	}
	return loginLimits{{"user:" + user, loginMaxFailures}, {"pair:" + user + "|" + ip, loginMaxFailures},
		{"ip:" + ip, addressMaxFailures}}
}
