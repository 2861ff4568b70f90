package cases_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/patrol-city/patrol/cases"
)

// asyncAPI is the part of docs/asyncapi.yaml the test checks.
type asyncAPI struct {
	AsyncAPI string `yaml:"asyncapi"`
	Channels map[string]struct {
		Address  string                       `yaml:"address"`
		Messages map[string]map[string]string `yaml:"messages"`
	} `yaml:"channels"`
	Operations map[string]struct {
		Action  string            `yaml:"action"`
		Channel map[string]string `yaml:"channel"`
	} `yaml:"operations"`
	Components struct {
		Messages map[string]struct {
			Payload struct {
				SchemaFormat string            `yaml:"schemaFormat"`
				Schema       map[string]string `yaml:"schema"`
			} `yaml:"payload"`
		} `yaml:"messages"`
	} `yaml:"components"`
}

// TestAsyncAPI: docs/asyncapi.yaml is AsyncAPI 3 and describes every
// topic patrol has a schema for: each channel's message payload is the
// schema file of its topic (the very file patrol validates with), each
// channel is written and read by some operation.
func TestAsyncAPI(t *testing.T) {
	raw, err := os.ReadFile("../docs/asyncapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc asyncAPI
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.AsyncAPI != "3.0.0" {
		t.Fatalf("asyncapi %q, want 3.0.0", doc.AsyncAPI)
	}
	topics := cases.Topics()
	if len(topics) != 7 {
		t.Errorf("topics with a schema: %v, want 7", topics)
	}
	seen := map[string]bool{}
	for name, ch := range doc.Channels {
		want, err := cases.SchemaFor(ch.Address)
		if err != nil {
			t.Errorf("channel %s: address %q is not a topic patrol has a schema for: %v", name, ch.Address, err)
			continue
		}
		seen[ch.Address] = true
		if len(ch.Messages) == 0 {
			t.Errorf("channel %s: no messages", name)
		}
		for mname, ref := range ch.Messages {
			id := strings.TrimPrefix(ref["$ref"], "#/components/messages/")
			m, ok := doc.Components.Messages[id]
			if !ok {
				t.Errorf("channel %s message %s: %q does not resolve", name, mname, ref["$ref"])
				continue
			}
			if !strings.HasPrefix(m.Payload.SchemaFormat, "application/schema+json") {
				t.Errorf("message %s: schemaFormat %q is not JSON Schema", id, m.Payload.SchemaFormat)
			}
			file := filepath.Join("..", "docs", m.Payload.Schema["$ref"])
			got, err := os.ReadFile(file)
			if err != nil {
				t.Errorf("message %s: schema %s: %v", id, m.Payload.Schema["$ref"], err)
				continue
			}
			if string(got) != string(want) {
				t.Errorf("channel %s (%s): payload schema %s is not the topic's schema file", name, ch.Address, file)
			}
			var s struct {
				ID string `json:"$id"`
			}
			if err := json.Unmarshal(got, &s); err != nil || !strings.HasSuffix(s.ID, "/"+ch.Address+".json") {
				t.Errorf("channel %s: schema $id %q does not name the topic", name, s.ID)
			}
		}
		ops := map[string]bool{}
		for _, op := range doc.Operations {
			if op.Channel["$ref"] == "#/channels/"+name {
				ops[op.Action] = true
			}
		}
		if !ops["send"] || !ops["receive"] {
			t.Errorf("channel %s: operations %v, want a send and a receive", name, ops)
		}
	}
	for _, topic := range topics {
		if !seen[topic] {
			t.Errorf("topic %s has no channel", topic)
		}
	}
}
