package config

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces every ${NAME} in the YAML document's scalar values (not
// in comments or keys) with the variable's value and returns the re-encoded
// document. A reference to an unset variable is an error naming the variable
// (never its value).
func expandEnv(raw []byte, lookup func(string) (string, bool)) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	missing := map[string]bool{}
	var walk func(n *yaml.Node, isKey bool)
	walk = func(n *yaml.Node, isKey bool) {
		if n.Kind == yaml.ScalarNode && !isKey {
			n.Value = string(expandString([]byte(n.Value), lookup, missing))
			return
		}
		for i, c := range n.Content {
			walk(c, n.Kind == yaml.MappingNode && i%2 == 0)
		}
	}
	walk(&doc, false)
	if len(missing) > 0 {
		names := make([]string, 0, len(missing))
		for n := range missing {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("environment variable %s not set", strings.Join(names, ", "))
	}
	if doc.Kind == 0 {
		return raw, nil
	}
	return yaml.Marshal(&doc)
}

func expandString(raw []byte, lookup func(string) (string, bool), missing map[string]bool) []byte {
	return envRef.ReplaceAllFunc(raw, func(m []byte) []byte {
		name := string(envRef.FindSubmatch(m)[1])
		v, ok := lookup(name)
		if !ok {
			missing[name] = true
			return m
		}
		return []byte(v)
	})
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
