package plate

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text string
		ok   bool
	}{
		{"津B6H920", true},
		{"皖KD01833", true}, // new energy: 8 characters
		{"苏ED51712", true},
		{"粤B12345D", true},  // large new-energy vehicle
		{"苏E051712", false}, // new energy: the third character is a series letter
		{"苏ED5171A", false}, // new energy: the last four are digits
		{"粤B12345A", false}, // large new energy ends in D or F
		{"粤B1234警", true},
		{"B023H6", false},  // province missing
		{"蒙B023H", false},  // too short
		{"蒙1023H6", false}, // second character a digit
		{"蒙BO23H6", false}, // O is not a plate letter
		{"蒙B02警H6", false}, // suffix in the middle
		{"", false},
		{"XXB023H6", false},
	} {
		err := Check(tc.text)
		if (err == nil) != tc.ok {
			t.Errorf("Check(%q) = %v, want ok=%v", tc.text, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrGrammar) {
			t.Errorf("Check(%q) = %v, not ErrGrammar", tc.text, err)
		}
	}
}

// FuzzCheck: Check never panics, and what it accepts decodes to 7 or 8
// characters of the plate alphabet.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"津B6H920", "皖KD01833", "B023H6", "\xff\xfe", "粤B1234警"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if Check(s) != nil {
			return
		}
		for _, r := range s {
			if !strings.ContainsRune(Alphabet, r) {
				t.Fatalf("Check accepted %q with %q outside the alphabet", s, r)
			}
		}
	})
}
