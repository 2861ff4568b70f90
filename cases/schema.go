package cases

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The JSON Schemas (draft 2020-12) of the messages patrol publishes, one per
// topic. They are the contract for integrators; docs/kafka.md explains them.
//
//go:embed schema/*.json
var schemaFS embed.FS

// Topics whose message layout is described by an embedded schema.
const (
	// CasesTopicV1 carries Case messages (key = camera id).
	CasesTopicV1 = "patrol.cases.v1"
	// HealthTopicV1 carries health.Event messages (key = camera id).
	HealthTopicV1 = "patrol.health.v1"
)

// schemaFiles maps a topic to its schema file in schemaFS.
var schemaFiles = map[string]string{
	CasesTopicV1:        "schema/patrol.cases.v1.json",
	HealthTopicV1:       "schema/patrol.health.v1.json",
	VerdictsTopicV1:     "schema/patrol.verdicts.v1.json",
	SuppressionsTopicV1: "schema/patrol.suppressions.v1.json",
	CamerasTopicV1:      "schema/patrol.cameras.v1.json",
	CaseStateTopicV1:    "schema/patrol.casestate.v1.json",
	RechecksTopicV1:     "schema/patrol.rechecks.v1.json",
}

// Topics returns the topics patrol has a schema for, sorted.
func Topics() []string { return slices.Sorted(maps.Keys(schemaFiles)) }

// SchemaFor returns the JSON Schema document of the messages on topic (a copy
// the caller may keep), or an error for a topic patrol has no schema for.
func SchemaFor(topic string) ([]byte, error) {
	name, ok := schemaFiles[topic]
	if !ok {
		return nil, fmt.Errorf("schema: no schema for topic %q (known: %s)", topic, strings.Join(slices.Sorted(maps.Keys(schemaFiles)), ", "))
	}
	return schemaFS.ReadFile(name)
}

// ValidateCaseJSON checks one message value of topic patrol.cases.v1 against
// its schema. A non-nil error is a *SchemaError naming every failing field.
func ValidateCaseJSON(msg []byte) error { return validate(CasesTopicV1, msg) }

// ValidateHealthJSON checks one message value of topic patrol.health.v1
// against its schema. A non-nil error is a *SchemaError naming every failing
// field.
func ValidateHealthJSON(msg []byte) error { return validate(HealthTopicV1, msg) }

// SchemaError reports why a message does not match its topic's schema.
type SchemaError struct {
	// Topic names the schema that was applied.
	Topic string
	// Problems lists each failure; empty when the message is not JSON.
	Problems []Problem
	// Err is the JSON decoding error, if the message is not JSON.
	Err error
}

// Problem is one failing field.
type Problem struct {
	// Field is the path of the field, e.g. "rule.code" or
	// "evidence[0].sha256"; "" is the message itself.
	Field string
	// Message says what is wrong with it.
	Message string
}

func (e *SchemaError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: message is not JSON: %v", e.Topic, e.Err)
	}
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		f := p.Field
		if f == "" {
			f = "(message)"
		}
		parts[i] = f + ": " + p.Message
	}
	return fmt.Sprintf("%s: invalid message: %s", e.Topic, strings.Join(parts, "; "))
}

func (e *SchemaError) Unwrap() error { return e.Err }

// printer renders the validator's messages in English.
var printer = message.NewPrinter(language.English)

var (
	compileOnce sync.Once
	compiled    map[string]*jsonschema.Schema
	compileErr  error
)

// schemas compiles every embedded schema once, with format assertions on
// (so "date-time" is checked, not just annotated).
func schemas() (map[string]*jsonschema.Schema, error) {
	compileOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		c.AssertFormat()
		ids := map[string]string{}
		for topic, name := range schemaFiles {
			raw, err := schemaFS.ReadFile(name)
			if err != nil {
				compileErr = fmt.Errorf("schema %s: %w", name, err)
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				compileErr = fmt.Errorf("schema %s: %w", name, err)
				return
			}
			obj, _ := doc.(map[string]any)
			id, _ := obj["$id"].(string)
			if id == "" {
				compileErr = fmt.Errorf("schema %s: no $id", name)
				return
			}
			if err := c.AddResource(id, doc); err != nil {
				compileErr = fmt.Errorf("schema %s: %w", name, err)
				return
			}
			ids[topic] = id
		}
		m := map[string]*jsonschema.Schema{}
		for topic, id := range ids {
			s, err := c.Compile(id)
			if err != nil {
				compileErr = fmt.Errorf("schema %s: %w", schemaFiles[topic], err)
				return
			}
			m[topic] = s
		}
		compiled = m
	})
	return compiled, compileErr
}

func validate(topic string, msg []byte) error {
	all, err := schemas()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(msg))
	if err != nil {
		return &SchemaError{Topic: topic, Err: err}
	}
	err = all[topic].Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("%s: %w", topic, err)
	}
	se := &SchemaError{Topic: topic}
	collect(ve, &se.Problems)
	slices.SortFunc(se.Problems, func(a, b Problem) int {
		return strings.Compare(a.Field+"\x00"+a.Message, b.Field+"\x00"+b.Message)
	})
	se.Problems = slices.Compact(se.Problems)
	return se
}

// collect appends the leaf failures of e (the ones that say what is wrong,
// not which keyword grouped them) as field problems.
func collect(e *jsonschema.ValidationError, out *[]Problem) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collect(c, out)
		}
		return
	}
	field := fieldPath(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			*out = append(*out, Problem{Field: joinField(field, m), Message: "required field missing"})
		}
	case *kind.Not:
		// The only "not" in patrol's schemas forbids the Go zero time.
		*out = append(*out, Problem{Field: field, Message: "zero time (0001-01-01T00:00:00Z) not allowed"})
	default:
		*out = append(*out, Problem{Field: field, Message: e.ErrorKind.LocalizedString(printer)})
	}
}

// fieldPath turns a JSON pointer's tokens into "evidence[0].sha256".
func fieldPath(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		if t != "" && strings.Trim(t, "0123456789") == "" {
			b.WriteString("[" + t + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(t)
	}
	return b.String()
}

func joinField(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}
