package registry

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka/ktable"
)

func TestDecode(t *testing.T) {
	cam := config.Camera{ID: "c1", URL: "rtsp://10.0.0.1/s", Zones: []config.Zone{{ID: "z", Polygon: [][]float64{{0, 0}, {1, 0}, {1, 1}}, Rules: []string{"r"}}}}
	v, err := Encode(cam)
	if err != nil {
		t.Fatal(err)
	}
	if err := cases.ValidateCameraJSON(v); err != nil {
		t.Errorf("record %s: %v", v, err)
	}
	got, err := Decode("c1", v)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "c1" || got.Transport != "tcp" || got.Zones[0].ID != "z" {
		t.Errorf("decoded %+v: defaults or fields missing", got)
	}
	for _, tc := range []struct{ name, key, value string }{
		{"not json", "c1", "cameras: [c1]"},
		{"unknown field", "c1", `{"id":"c1","url":"rtsp://h/s","zone":[]}`},
		{"key and id differ", "c2", `{"id":"c1","url":"rtsp://h/s"}`},
		{"wrong type", "c1", `{"id":"c1","zones":"z"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Decode(tc.key, []byte(tc.value)); !errors.Is(err, ErrRecord) {
				t.Errorf("err = %v, want ErrRecord", err)
			}
		})
	}
}

type fakeRegistry struct {
	rows   map[string][]byte
	writes []string
}

func (f *fakeRegistry) All() []ktable.Entry {
	var out []ktable.Entry
	for k, v := range f.rows {
		out = append(out, ktable.Entry{Key: k, Value: v})
	}
	return out
}

func (f *fakeRegistry) WriteCase(_ context.Context, key string, value []byte) error {
	f.writes = append(f.writes, key)
	if value == nil {
		delete(f.rows, key)
	} else {
		f.rows[key] = value
	}
	return nil
}

// batchRegistry is a fakeRegistry that also writes in batches.
type batchRegistry struct {
	*fakeRegistry
	batches int
}

func (b *batchRegistry) WriteBatch(ctx context.Context, keys []string, values [][]byte) error {
	b.batches++
	for i := range keys {
		if err := b.WriteCase(ctx, keys[i], values[i]); err != nil {
			return err
		}
	}
	return nil
}

// TestApply applies the same steps through a writer of one record at a
// time and one that writes batches (one call per step).
func TestApply(t *testing.T) {
	t.Parallel()
	t.Run("one at a time", func(t *testing.T) {
		t.Parallel()
		reg := &fakeRegistry{rows: map[string][]byte{}}
		testApply(t, reg, reg)
	})
	t.Run("batches", func(t *testing.T) {
		t.Parallel()
		reg := &batchRegistry{fakeRegistry: &fakeRegistry{rows: map[string][]byte{}}}
		testApply(t, reg, reg)
		if reg.batches != 3 {
			t.Errorf("%d batches written, want 3 (create, update, prune)", reg.batches)
		}
	})
}

func testApply(t *testing.T, reg Reader, w Writer) {
	cam := func(id, url string) config.Camera {
		c := config.Camera{ID: id, URL: url}
		config.ApplyCameraDefaults(&c)
		return c
	}
	steps := []struct {
		name  string
		cams  []config.Camera
		prune bool
		want  Change
	}{
		{"create", []config.Camera{cam("a", "rtsp://h/a"), cam("b", "rtsp://h/b")}, false, Change{Created: []string{"a", "b"}}},
		{"same again: nothing written", []config.Camera{cam("a", "rtsp://h/a"), cam("b", "rtsp://h/b")}, false, Change{Unchanged: []string{"a", "b"}}},
		{"update one, keep the other without prune", []config.Camera{cam("a", "rtsp://h/a2")}, false, Change{Updated: []string{"a"}}},
		{"prune deletes what the file does not list", []config.Camera{cam("a", "rtsp://h/a2")}, true, Change{Unchanged: []string{"a"}, Deleted: []string{"b"}}},
	}
	for _, st := range steps {
		ch, err := Apply(context.Background(), reg, w, st.cams, st.prune)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ch.Created, st.want.Created) || !slices.Equal(ch.Updated, st.want.Updated) ||
			!slices.Equal(ch.Unchanged, st.want.Unchanged) || !slices.Equal(ch.Deleted, st.want.Deleted) {
			t.Errorf("%s: %+v, want %+v", st.name, ch, st.want)
		}
	}
	if _, ok := rowsOf(reg)["b"]; ok {
		t.Error("b still in the registry after prune")
	}
}

func rowsOf(r Reader) map[string][]byte {
	rows := map[string][]byte{}
	for _, e := range r.All() {
		rows[e.Key] = e.Value
	}
	return rows
}
