package console

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
)

// openEvidence builds the configured store for reading, with the
// console's credentials (no connection yet).
func openEvidence(ev config.Evidence) (evidence.Opener, error) {
	switch ev.Kind {
	case "dir":
		return evidence.NewDir(ev.Dir, ev.Bucket)
	case "s3", "":
		sc, err := evidence.S3ConfigFor(ev)
		if err != nil {
			return nil, err
		}
		// The console reads: no retention, no presigned URLs, no bucket
		// created.
		sc.Retention, sc.PresignExpiry, sc.SkipCreateBucket = 0, 0, true
		return evidence.OpenS3(sc)
	}
	return nil, fmt.Errorf("evidence.kind %q unknown", ev.Kind)
}

// serveEvidence streams GET /evidence/{case}/{name}: an object of a case
// the console knows (name is the file name of one of its evidence keys),
// read from the store with the console's credentials. Range requests are
// answered (the clip's seeking), the content type is the case's, and the
// response is private to the session.
func (s *Server) serveEvidence(w http.ResponseWriter, r *http.Request) {
	ev, ok := s.store.evidence(r.PathValue("case"), r.PathValue("name"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	if ev.Bucket != s.deps.Evidence.Bucket() {
		s.log.Warn("console: evidence in another bucket", "bucket", ev.Bucket, "key", ev.Key, "store", s.deps.Evidence.Bucket())
		http.Error(w, s.msgs(w).t("error.evidence_other_bucket"), http.StatusNotFound)
		return
	}
	obj, err := s.deps.Evidence.Open(r.Context(), ev.Key)
	if errors.Is(err, evidence.ErrNotFound) {
		http.Error(w, s.msgs(w).t("error.evidence_not_found"), http.StatusNotFound)
		return
	}
	if err != nil {
		s.log.Warn("console: evidence", "key", ev.Key, "err", err)
		http.Error(w, s.msgs(w).t("error.evidence_unavailable"), http.StatusBadGateway)
		return
	}
	defer obj.Close()
	ct := ev.ContentType
	if ct == "" {
		ct = obj.ContentType
	}
	if ct != "video/mp4" && ct != "image/jpeg" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, max-age=3600")
	if ev.SHA256 != "" {
		w.Header().Set("ETag", `"`+ev.SHA256+`"`)
	}
	if strings.Contains(r.Header.Get("Range"), ",") {
		// Several ranges would be one store read each (a request could ask
		// for thousands); a browser asks for one. The whole object instead.
		r.Header.Del("Range")
	}
	http.ServeContent(w, r, "", obj.ModTime, obj)
}
