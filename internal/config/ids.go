package config

import (
	"fmt"
	"regexp"
)

// IDPattern is the form of every camera, zone and rule id: a letter or digit
// followed by up to 63 letters, digits, dots, underscores or hyphens. Ids
// name directories under data_dir, evidence keys and Kafka keys, so "." and
// "..", separators, spaces and non-ASCII are refused before they reach any
// of those.
const IDPattern = `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`

var idRE = regexp.MustCompile(IDPattern)

// CheckID returns an error describing why id is not a valid id, or nil.
func CheckID(id string) error {
	if id == "" {
		return fmt.Errorf("required")
	}
	if !idRE.MatchString(id) {
		return fmt.Errorf("%q is not a valid id (%s: letters, digits, '.', '_', '-', starting with a letter or digit, at most 64)", id, IDPattern)
	}
	return nil
}
