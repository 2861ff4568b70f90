package config

import (
	"fmt"
	"net"
	"strings"
	"time"
	_ "time/tzdata" // console.time_zone on an image without a zone database
)

// Console roles.
const (
	RoleDispatcher = "dispatcher" // reviews cases, gives verdicts, suppresses repeats
	RoleOperator   = "operator"   // cameras, health, zones
	RoleAdmin      = "admin"      // both
)

// Console configures `patrol console` (docs/console.md). It reads the
// shared configuration's kafka, evidence and cluster sections too.
type Console struct {
	// Listen is the console's address (default "127.0.0.1:8080").
	Listen string `yaml:"listen"`
	// UsersFile is an htpasswd-style file of "user:bcrypt-hash" lines
	// (required to run the console).
	UsersFile string `yaml:"users_file"`
	// Roles gives each user its roles: dispatcher, operator, admin (a user
	// without roles can only log in).
	Roles map[string][]string `yaml:"roles"`
	// TLSCert and TLSKey make the console serve HTTPS itself (PEM files;
	// both or neither). Cookies are then Secure.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// BehindTLSProxy says that browsers reach the console through a
	// TLS-terminating proxy (docs/console.md): cookies are then Secure and
	// responses carry Strict-Transport-Security although the console
	// itself serves plain HTTP (default false).
	BehindTLSProxy bool `yaml:"behind_tls_proxy"`
	// SessionTTL ends a session this long after login (default 12h).
	SessionTTL time.Duration `yaml:"session_ttl"`
	// SessionsTopic is the compacted topic that keeps the sessions, so
	// that they survive a restart and are shared by the consoles behind
	// one address (default "patrol.console.sessions.v1").
	SessionsTopic string `yaml:"sessions_topic"`
	// DeviceKeyFile holds the key (at least 32 bytes) that signs device
	// cookies (the login rate limit's); give every console the same file
	// so that the cookies hold across restarts and consoles (default none:
	// a key made at each start).
	DeviceKeyFile string `yaml:"device_key_file"`
	// VerdictsTopic defaults to "patrol.verdicts.v1".
	VerdictsTopic string `yaml:"verdicts_topic"`
	// SuppressionsTopic defaults to "patrol.suppressions.v1"; workers
	// follow it too.
	SuppressionsTopic string `yaml:"suppressions_topic"`
	// SuppressFor is how long a suppression lasts unless the dispatcher
	// picks another length (default 24h).
	SuppressFor time.Duration `yaml:"suppress_for"`
	// WorkerURL finds the worker that owns a camera, for its current
	// picture: "{worker}" is replaced by the worker name of the camera's
	// health events (default "http://{worker}:9108", the worker's
	// monitoring.metrics_address).
	WorkerURL string `yaml:"worker_url"`
	// WorkerToken is the workers' monitoring.token, presented when the
	// console fetches a camera picture (default none).
	WorkerToken string `yaml:"worker_token" json:"-"`
	// Map is the map page's tiles and view (consolemap.go; default: no
	// tiles, a plain grid, the view fitted to the cameras).
	Map ConsoleMap `yaml:"map"`
	// Language is the pages' language: "zh-CN" (default) or "en"; or
	// "browser": the browser's Accept-Language picks one of the two
	// (zh-CN when it names neither). A user's own choice (the switch on
	// every page, cookie patrol_lang) comes first in every case.
	Language string `yaml:"language"`
	// TimeZone is the office's IANA zone: the pages show times in it and
	// the statistics' days, weeks, months and hours follow it (default
	// "Asia/Shanghai"; the zone database is built into the binary).
	TimeZone string `yaml:"time_zone"`
}

// Console languages (Console.Language).
const (
	LangZH      = "zh-CN"   // Chinese, simplified (the default)
	LangEN      = "en"      // English
	LangBrowser = "browser" // the browser's Accept-Language, zh-CN or en
)

func (c *Console) applyDefaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	setDur(&c.SessionTTL, 12*time.Hour)
	if c.VerdictsTopic == "" {
		c.VerdictsTopic = "patrol.verdicts.v1"
	}
	if c.SuppressionsTopic == "" {
		c.SuppressionsTopic = "patrol.suppressions.v1"
	}
	setDur(&c.SuppressFor, 24*time.Hour)
	if c.SessionsTopic == "" {
		c.SessionsTopic = "patrol.console.sessions.v1"
	}
	if c.WorkerURL == "" {
		c.WorkerURL = "http://{worker}:9108"
	}
	c.Map.applyDefaults()
	if c.Language == "" {
		c.Language = LangZH
	}
	if c.TimeZone == "" {
		c.TimeZone = "Asia/Shanghai"
	}
}

func (c *Console) validate(fe *fieldErrors) {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		fe.add("console.listen", "not host:port")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		fe.add("console.tls_cert", "tls_cert and tls_key go together")
	}
	for user, roles := range c.Roles {
		for i, r := range roles {
			if r != RoleDispatcher && r != RoleOperator && r != RoleAdmin {
				fe.add(fmt.Sprintf("console.roles.%s[%d]", user, i), "unknown role %q (dispatcher, operator or admin)", r)
			}
		}
	}
	if !strings.HasPrefix(c.WorkerURL, "http://") && !strings.HasPrefix(c.WorkerURL, "https://") {
		fe.add("console.worker_url", "must start with http:// or https://")
	}
	switch c.Language {
	case LangZH, LangEN, LangBrowser:
	default:
		fe.add("console.language", "unknown language %q (zh-CN, en or browser)", c.Language)
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		fe.add("console.time_zone", "%v", err)
	}
	if c.WorkerToken != "" && len(c.WorkerToken) < MinTokenLen {
		fe.add("console.worker_token", "must be at least %d bytes", MinTokenLen)
	}
	c.Map.validate(fe)
}

// HasRole reports whether user has role (admin has every role).
func (c *Console) HasRole(user, role string) bool {
	for _, r := range c.Roles[user] {
		if r == role || r == RoleAdmin {
			return true
		}
	}
	return false
}
