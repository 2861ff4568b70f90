package plate

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Provinces are the first characters of civil plates: the provinces,
// autonomous regions and municipalities.
const Provinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

// letters are the plate letters (I and O are not used).
const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"

// suffixes end special plates: police, coach, trailer, Hong Kong and Macau.
const suffixes = "警学挂港澳"

// Alphabet is every character a plate may hold; decoding is restricted to
// it.
const Alphabet = Provinces + letters + "0123456789" + suffixes

// ErrGrammar is wrapped by Check's errors.
var ErrGrammar = errors.New("not a plate")

// newEnergySeries are the third characters of a small car's new-energy
// plate (D and F first, A-K since 2022; I is not used).
const newEnergySeries = "ABCDEFGHJK"

// Check holds text to the civil plate grammar: a province character, a
// letter (the issuing office), then 5 letters or digits (blue, yellow,
// white plates; the last may be a suffix character) or 6 (green
// new-energy plates: a series letter A-K and a letter or digit, then 4
// digits, for small cars; 5 digits then D or F for large vehicles).
func Check(text string) error {
	n := utf8.RuneCountInString(text)
	if n != 7 && n != 8 {
		return fmt.Errorf("%w: %q has %d characters (7, or 8 for a new-energy plate)", ErrGrammar, text, n)
	}
	rs := []rune(text)
	if !strings.ContainsRune(Provinces, rs[0]) {
		return fmt.Errorf("%w: %q does not start with a province character", ErrGrammar, text)
	}
	if !strings.ContainsRune(letters, rs[1]) {
		return fmt.Errorf("%w: %q: the second character must be a letter", ErrGrammar, text)
	}
	if n == 8 {
		return checkNewEnergy(text, rs)
	}
	for i, r := range rs[2:] {
		last := i == len(rs)-3
		switch {
		case strings.ContainsRune(letters, r) || isDigit(r):
		case last && strings.ContainsRune(suffixes, r):
		default:
			return fmt.Errorf("%w: %q: character %d (%q) is not allowed there", ErrGrammar, text, i+3, r)
		}
	}
	return nil
}

// checkNewEnergy holds the six characters after the office letter of an
// eight-character plate to the small-car or the large-vehicle pattern.
func checkNewEnergy(text string, rs []rune) error {
	small := strings.ContainsRune(newEnergySeries, rs[2]) && (isDigit(rs[3]) || strings.ContainsRune(letters, rs[3]))
	large := isDigit(rs[2]) && isDigit(rs[3]) && strings.ContainsRune("DF", rs[7])
	for _, r := range rs[4:7] {
		small = small && isDigit(r)
		large = large && isDigit(r)
	}
	small = small && isDigit(rs[7])
	if !small && !large {
		return fmt.Errorf("%w: %q is not a new-energy plate (series letter A-K then 5 characters, or 5 digits then D or F)", ErrGrammar, text)
	}
	return nil
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }
