package cases_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
)

// realCase is a case as the publisher builds it, every field filled.
func realCase(t *testing.T) cases.Case {
	t.Helper()
	first := time.Date(2026, 11, 27, 12, 38, 28, 673_118_402, time.UTC)
	confirmed := first.Add(5*time.Minute + 312*time.Millisecond)
	clipStart := confirmed.Add(-10 * time.Second)
	clipEnd := confirmed.Add(4*time.Second + 960*time.Millisecond)
	id := cases.ID("cam-0001", "illegal-parking", "no-parking-east", 17, first)
	prefix := "cam-0001/2026/11/27/" + id + "/"
	c := cases.Case{
		SchemaVersion: cases.SchemaVersion,
		CaseID:        id,
		Event:         cases.EventOpened,
		Worker:        "district-a-worker-1",
		Rule:          cases.Rule{ID: "illegal-parking", Kind: "stationary", Code: "0505", Name: "机动车乱停放"},
		Camera:        cases.Camera{ID: "cam-0001", Name: "人民路与解放路交叉口东北角"},
		ZoneID:        "no-parking-east",
		FirstSeen:     first,
		ConfirmedAt:   confirmed,
		DwellS:        confirmed.Sub(first).Seconds(),
		Objects: []cases.Object{
			{TrackID: 17, Label: "car", Score: 0.873, Box: [4]float64{0.238, 0.633, 0.363, 0.294}},
		},
		Evidence: []cases.Evidence{
			{Kind: "clip", Bucket: "patrol-evidence", Key: prefix + "clip.mp4",
				SHA256: "c61a5abd18086ccca98649f2aaceb7aff63d04bffda2db0fbdc3da6a9d712f43", Size: 2435481,
				ContentType: "video/mp4", Start: &clipStart, End: &clipEnd},
			{Kind: "snapshot", Bucket: "patrol-evidence", Key: prefix + "snapshot.jpg",
				SHA256: "85e3b5fa3d94a7fab68a9de66eb7a9af760c21929297e8d1234e370a2b8761ef", Size: 50357,
				ContentType: "image/jpeg"},
		},
		Model:       cases.Model{Name: "yolox_nano", SHA256: "695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14"},
		PublishedAt: clipEnd.Add(166 * time.Millisecond),
		Explanation: &cases.Explanation{DwellS: confirmed.Sub(first).Seconds(), Pictures: 76, ScoreStat: cases.StatMedian,
			Score: 0.81, LookMatch: 0.93, Presence: 0.97, Gaps: 1},
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("fixture fails Case.Validate: %v", err)
	}
	return c
}

// demoMessage is a message taken verbatim from a demo run's Kafka topic.
const demoMessage = `{"schema_version":1,"case_id":"demo-cam-1-20261127T125336Z-efb433d0c3","event":"opened","worker":"demo","rule":{"id":"illegal-parking","kind":"stationary","code":"0505","name":"机动车乱停放"},"camera":{"id":"demo-cam-1","name":"演示摄像头 · 人行道 (simulated)"},"zone_id":"pavement","first_seen":"2026-11-27T12:53:36.753729705Z","confirmed_at":"2026-11-27T12:53:57.753692637Z","dwell_s":20.999962932,"objects":[{"track_id":1,"label":"car","score":0.811,"box":[0.241,0.658,0.363,0.264]}],"evidence":[{"kind":"clip","bucket":"patrol-evidence","key":"demo-cam-1/2026/11/27/demo-cam-1-20261127T125336Z-efb433d0c3/clip.mp4","sha256":"c61a5abd18086ccca98649f2aaceb7aff63d04bffda2db0fbdc3da6a9d712f43","size":2435481,"content_type":"video/mp4","start":"2026-11-27T12:53:46.753399923Z","end":"2026-11-27T12:54:02.653032613Z"},{"kind":"snapshot","bucket":"patrol-evidence","key":"demo-cam-1/2026/11/27/demo-cam-1-20261127T125336Z-efb433d0c3/snapshot.jpg","sha256":"85e3b5fa3d94a7fab68a9de66eb7a9af760c21929297e8d1234e370a2b8761ef","size":50357,"content_type":"image/jpeg"}],"model":{"name":"yolox_nano","sha256":"695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14"},"published_at":"2026-11-27T12:54:02.819759694Z","explanation":{"dwell_s":20.999962932,"pictures":6,"score_stat":"median","score":0.8,"look_match":0.97,"presence":1,"gaps":0,"present_at_start":false,"continued":false}}`

// caseDoc returns the real case as a generic JSON document to mutate.
func caseDoc(t *testing.T) map[string]any {
	t.Helper()
	c := realCase(t)
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// walk returns the container holding the last element of path ("a.0.b") and
// that element's name.
func walk(t *testing.T, doc any, path string) (any, string) {
	t.Helper()
	parts := strings.Split(path, ".")
	cur := doc
	for _, p := range parts[:len(parts)-1] {
		switch v := cur.(type) {
		case map[string]any:
			cur = v[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(v) {
				t.Fatalf("bad path %q", path)
			}
			cur = v[i]
		default:
			t.Fatalf("bad path %q", path)
		}
	}
	return cur, parts[len(parts)-1]
}

func del(t *testing.T, doc map[string]any, path string) {
	t.Helper()
	parent, name := walk(t, doc, path)
	m, ok := parent.(map[string]any)
	if !ok {
		t.Fatalf("%s: parent is not an object", path)
	}
	if _, ok := m[name]; !ok {
		t.Fatalf("%s: no such field in the fixture", path)
	}
	delete(m, name)
}

func set(t *testing.T, doc map[string]any, path string, v any) {
	t.Helper()
	parent, name := walk(t, doc, path)
	switch p := parent.(type) {
	case map[string]any:
		p[name] = v
	case []any:
		i, err := strconv.Atoi(name)
		if err != nil || i >= len(p) {
			t.Fatalf("bad path %q", path)
		}
		p[i] = v
	default:
		t.Fatalf("bad path %q", path)
	}
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fieldName turns "evidence.0.sha256" into "evidence[0].sha256", the form
// validation errors use.
func fieldName(path string) string {
	var b strings.Builder
	for p := range strings.SplitSeq(path, ".") {
		if _, err := strconv.Atoi(p); err == nil {
			b.WriteString("[" + p + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

func TestValidCasesPass(t *testing.T) {
	c := realCase(t)
	seq := caseDoc(t)
	seq["seq"] = 1
	extra := caseDoc(t)
	extra["priority"] = "high" // a future additive field
	set(t, extra, "evidence.0.url", "https://minio.internal:9000/patrol-evidence/cam-0001/clip.mp4?X-Amz-Signature=abc")
	set(t, extra, "rule.severity", 2)
	manifest := caseDoc(t)
	manifest["evidence"] = append(manifest["evidence"].([]any), map[string]any{
		"kind": "manifest", "bucket": "patrol-evidence", "key": "cam-0001/2026/11/27/x/manifest.json",
		"sha256": strings.Repeat("ab", 32), "size": 812, "content_type": "application/json",
	})
	closed := caseDoc(t)
	closed["event"] = "closed"
	for _, tc := range []struct {
		name string
		msg  []byte
	}{
		{"go type", marshal(t, &c)},
		{"demo message", []byte(demoMessage)},
		{"seq", marshal(t, seq)},
		{"unknown fields", marshal(t, extra)},
		{"manifest evidence", marshal(t, manifest)},
		{"closed event", marshal(t, closed)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := cases.ValidateCaseJSON(tc.msg); err != nil {
				t.Fatalf("valid case rejected: %v\n%s", err, tc.msg)
			}
		})
	}
}

func TestMissingRequiredFieldFails(t *testing.T) {
	paths := []string{
		"schema_version", "case_id", "event", "worker", "rule", "camera", "zone_id",
		"first_seen", "confirmed_at", "dwell_s", "objects", "evidence", "model", "published_at",
		"rule.id", "rule.kind", "rule.code", "rule.name",
		"camera.id", "camera.name",
		"objects.0.track_id", "objects.0.label", "objects.0.score", "objects.0.box",
		"evidence.0.kind", "evidence.0.bucket", "evidence.0.key", "evidence.0.sha256",
		"evidence.0.size", "evidence.0.content_type", "evidence.1.sha256",
		"model.name", "model.sha256", "explanation",
		"explanation.dwell_s", "explanation.pictures", "explanation.score_stat", "explanation.score",
		"explanation.look_match", "explanation.presence", "explanation.gaps", "explanation.present_at_start", "explanation.continued",
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			doc := caseDoc(t)
			del(t, doc, path)
			err := cases.ValidateCaseJSON(marshal(t, doc))
			if err == nil {
				t.Fatalf("case without %s accepted", path)
			}
			want := fieldName(path)
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error does not name %s: %v", want, err)
			}
			var se *cases.SchemaError
			if !errors.As(err, &se) {
				t.Fatalf("error is %T, want *cases.SchemaError", err)
			}
			if !slices.ContainsFunc(se.Problems, func(p cases.Problem) bool { return p.Field == want }) {
				t.Fatalf("problems %+v do not name field %s", se.Problems, want)
			}
		})
	}
}

// TestEveryRequiredFieldCovered keeps the table above in step with the
// schema: each field the schema requires is removed by some test case.
func TestEveryRequiredFieldCovered(t *testing.T) {
	raw, err := cases.SchemaFor("patrol.cases.v1")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
		Defs       map[string]struct {
			Required []string `json:"required"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	for _, f := range s.Required {
		doc := caseDoc(t)
		del(t, doc, f)
		if cases.ValidateCaseJSON(marshal(t, doc)) == nil {
			t.Errorf("required %s: removal accepted", f)
		}
	}
	nested := map[string][]string{"objects.0": s.Defs["object"].Required, "evidence.0": s.Defs["evidence"].Required}
	for _, obj := range []string{"rule", "camera", "model", "explanation"} {
		var p struct {
			Required []string `json:"required"`
		}
		if err := json.Unmarshal(s.Properties[obj], &p); err != nil {
			t.Fatal(err)
		}
		nested[obj] = p.Required
	}
	for prefix, req := range nested {
		if len(req) == 0 {
			t.Errorf("%s: schema requires nothing", prefix)
		}
		for _, f := range req {
			doc := caseDoc(t)
			del(t, doc, prefix+"."+f)
			err := cases.ValidateCaseJSON(marshal(t, doc))
			if err == nil || !strings.Contains(err.Error(), fieldName(prefix+"."+f)) {
				t.Errorf("required %s.%s: removal gave %v", prefix, f, err)
			}
		}
	}
}

func TestBadValuesFail(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		value      any
		field      string // the field the error must name
	}{
		{"sha256 short", "evidence.0.sha256", "c61a5abd", "evidence[0].sha256"},
		{"sha256 uppercase", "evidence.1.sha256", strings.Repeat("AB", 32), "evidence[1].sha256"},
		{"model sha256 not hex", "model.sha256", strings.Repeat("zz", 32), "model.sha256"},
		{"score above 1", "objects.0.score", 1.2, "objects[0].score"},
		{"score negative", "objects.0.score", -0.1, "objects[0].score"},
		{"event unknown", "event", "reopened", "event"},
		{"schema_version 2", "schema_version", 2, "schema_version"},
		{"rule code letters", "rule.code", "05A5", "rule.code"},
		{"rule code short", "rule.code", "55", "rule.code"},
		{"rule code number", "rule.code", 505, "rule.code"},
		{"case_id empty", "case_id", "", "case_id"},
		{"camera id empty", "camera.id", "", "camera.id"},
		{"box three numbers", "objects.0.box", []any{0.1, 0.2, 0.3}, "objects[0].box"},
		{"box outside frame", "objects.0.box.2", 1.5, "objects[0].box[2]"},
		{"track_id negative", "objects.0.track_id", -1, "objects[0].track_id"},
		{"track_id fraction", "objects.0.track_id", 1.5, "objects[0].track_id"},
		{"size zero", "evidence.0.size", 0, "evidence[0].size"},
		{"evidence kind", "evidence.0.kind", "video", "evidence[0].kind"},
		{"dwell negative", "dwell_s", -3, "dwell_s"},
		{"dwell string", "dwell_s", "300", "dwell_s"},
		{"confirmed_at not a time", "confirmed_at", "yesterday", "confirmed_at"},
		{"confirmed_at no zone", "confirmed_at", "2026-11-27T12:38:49", "confirmed_at"},
		{"first_seen zero time", "first_seen", "0001-01-01T00:00:00Z", "first_seen"},
		{"clip start not a time", "evidence.0.start", "12:38", "evidence[0].start"},
		{"objects empty", "objects", []any{}, "objects"},
		{"evidence empty", "evidence", []any{}, "evidence"},
		{"objects null", "objects", nil, "objects"},
		{"seq zero", "seq", 0, "seq"},
		{"rule not object", "rule", "illegal-parking", "rule"},
		{"explanation stat unknown", "explanation.score_stat", "mean", "explanation.score_stat"},
		{"explanation look above 1", "explanation.look_match", 1.5, "explanation.look_match"},
		{"explanation pictures negative", "explanation.pictures", -1, "explanation.pictures"},
		{"explanation extra field", "explanation.why", "because", "explanation"},
		{"explanation count zero", "explanation.count", 0, "explanation.count"},
		{"plate text not a plate", "plate", map[string]any{"text": "ABC", "score": 0.5, "reads": 3, "agreeing": 3}, "plate.text"},
		{"plate reason unknown", "plate", map[string]any{"text": nil, "reason": "blurry", "score": 0, "reads": 3, "agreeing": 0}, "plate.reason"},
		{"latitude out of range", "camera.latitude", 91, "camera.latitude"},
		{"grid with a slash", "camera.grid", "31/01", "camera.grid"},
		{"severity empty", "severity", "", "severity"},
		{"evidence role unknown", "evidence.0.role", "after", "evidence[0].role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := caseDoc(t)
			set(t, doc, tc.path, tc.value)
			err := cases.ValidateCaseJSON(marshal(t, doc))
			if err == nil {
				t.Fatalf("%s=%v accepted", tc.path, tc.value)
			}
			var se *cases.SchemaError
			if !errors.As(err, &se) || !slices.ContainsFunc(se.Problems, func(p cases.Problem) bool { return p.Field == tc.field }) {
				t.Fatalf("error does not name %s: %v", tc.field, err)
			}
		})
	}
}

// TestPlaceAndSeverityValidate: a case with the camera's place, a severity
// and a recheck snapshot is valid; a latitude without longitude is not.
func TestPlaceAndSeverityValidate(t *testing.T) {
	doc := caseDoc(t)
	set(t, doc, "camera.address", "人民路 1 号")
	set(t, doc, "camera.grid", "310101001001001")
	set(t, doc, "camera.latitude", 31.2304)
	set(t, doc, "camera.longitude", 121.4737)
	set(t, doc, "severity", "严重")
	set(t, doc, "evidence.0.role", "recheck")
	if err := cases.ValidateCaseJSON(marshal(t, doc)); err != nil {
		t.Fatal(err)
	}
	doc = caseDoc(t)
	set(t, doc, "camera.latitude", 31.2304)
	if err := cases.ValidateCaseJSON(marshal(t, doc)); err == nil {
		t.Fatal("latitude without longitude accepted")
	}
}

func TestZeroCaseFails(t *testing.T) {
	err := cases.ValidateCaseJSON(marshal(t, cases.Case{}))
	if err == nil {
		t.Fatal("zero Case accepted")
	}
	for _, f := range []string{"schema_version", "case_id", "rule.code", "camera.id", "objects", "evidence", "confirmed_at", "model.sha256"} {
		if !strings.Contains(err.Error(), f+":") {
			t.Errorf("error does not name %s: %v", f, err)
		}
	}
}

func TestNotJSON(t *testing.T) {
	for _, msg := range []string{"", "{", "not json", `{"case_id":"x"} trailing`} {
		err := cases.ValidateCaseJSON([]byte(msg))
		var se *cases.SchemaError
		if !errors.As(err, &se) || se.Err == nil {
			t.Errorf("%q: got %v, want a JSON decoding SchemaError", msg, err)
		}
	}
	if err := cases.ValidateCaseJSON([]byte(`[]`)); err == nil {
		t.Error("array accepted as a case")
	}
	if err := cases.ValidateHealthJSON([]byte(demoMessage)); err == nil {
		t.Error("case accepted as a health event")
	}
}

func TestSchemaFor(t *testing.T) {
	for topic, id := range map[string]string{
		"patrol.cases.v1":  "https://patrol.example/schema/patrol.cases.v1.json",
		"patrol.health.v1": "https://patrol.example/schema/patrol.health.v1.json",
	} {
		raw, err := cases.SchemaFor(topic)
		if err != nil {
			t.Fatalf("%s: %v", topic, err)
		}
		var s struct {
			Schema string `json:"$schema"`
			ID     string `json:"$id"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("%s: %v", topic, err)
		}
		if s.ID != id || s.Schema != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $id %q $schema %q", topic, s.ID, s.Schema)
		}
		raw[0] = 'X' // the caller's copy: must not change the embedded schema
	}
	if _, err := cases.SchemaFor("patrol.cases.v1"); err != nil {
		t.Fatal(err)
	}
	if err := cases.ValidateCaseJSON([]byte(demoMessage)); err != nil {
		t.Fatalf("schema changed through SchemaFor's result: %v", err)
	}
	if _, err := cases.SchemaFor("patrol.cases.v2"); err == nil || !strings.Contains(err.Error(), "patrol.cases.v2") {
		t.Errorf("unknown topic: %v", err)
	}
}

// TestSchemaMatchesGoType checks that the schema and the Case type describe
// the same JSON fields, so neither drifts from the other.
func TestSchemaMatchesGoType(t *testing.T) {
	raw, err := cases.SchemaFor("patrol.cases.v1")
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	// Declared in the schema ahead of the Go type (planned, optional).
	planned := map[string]bool{"seq": true, "url": true}
	compareFields(t, "", reflect.TypeFor[cases.Case](), root, root, planned)
}

// compareFields compares the JSON fields of struct type typ with the
// properties of schema node (resolving local $refs against root).
func compareFields(t *testing.T, at string, typ reflect.Type, node, root map[string]any, planned map[string]bool) {
	t.Helper()
	node = deref(t, node, root)
	props, _ := node["properties"].(map[string]any)
	goFields := map[string]reflect.Type{}
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		goFields[name] = f.Type
	}
	for name, ft := range goFields {
		p, ok := props[name].(map[string]any)
		if !ok {
			t.Errorf("%s%s: in the Go type, not in the schema", at, name)
			continue
		}
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice || ft.Kind() == reflect.Array {
			if ft.Kind() != reflect.Pointer {
				if items, ok := deref(t, p, root)["items"].(map[string]any); ok {
					p = items
				}
			}
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Time]() {
			compareFields(t, at+name+".", ft, p, root, planned)
		}
	}
	for name := range props {
		if _, ok := goFields[name]; !ok && !planned[name] {
			t.Errorf("%s%s: in the schema, not in the Go type", at, name)
		}
	}
}

func deref(t *testing.T, node, root map[string]any) map[string]any {
	t.Helper()
	for {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		name, ok := strings.CutPrefix(ref, "#/$defs/")
		if !ok {
			t.Fatalf("unexpected $ref %q", ref)
		}
		node = root["$defs"].(map[string]any)[name].(map[string]any)
	}
}
