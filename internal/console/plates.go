package console

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/patrol-city/patrol/cases"
)

// The plate search (docs/console.md, "Plates"): the queue's plate
// parameter is checked here, against the plate alphabet kept locally (the
// console is above internal/detect/plate in the layers but needs only its
// characters, not its models), and matched exactly against the text the
// workers published.

// plateAlphabet is every character a published plate may hold: the
// province characters, the letters (I and O are not used), the digits
// and the suffixes of special plates.
const plateAlphabet = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼" +
	"ABCDEFGHJKLMNPQRSTUVWXYZ" + "0123456789" + "警学挂港澳"

// maxPlateRunes bounds the plate parameter: 7 characters, 8 for a green
// new-energy plate.
const maxPlateRunes = 8

// maxEarlier bounds the earlier cases listed on a case page.
const maxEarlier = 50

// errPlate is why a plate parameter is refused, for people.
var errPlate = errors.New("车牌无效 invalid plate: at most 8 characters of the plate alphabet " +
	"(province character, letters A-Z without I and O, digits, 警学挂港澳), e.g. 苏ED51712")

// normPlate is a plate parameter as it is matched: without spaces, ASCII
// letters upper-cased (dispatchers type "苏ed51712").
func normPlate(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		if r < utf8.RuneSelf {
			return unicode.ToUpper(r)
		}
		return r
	}, s)
}

// checkPlate reports whether a normalized plate parameter may be
// searched: 1 to maxPlateRunes characters of plateAlphabet.
func checkPlate(s string) error {
	if !utf8.ValidString(s) || s == "" || utf8.RuneCountInString(s) > maxPlateRunes {
		return errPlate
	}
	for _, r := range s {
		if !strings.ContainsRune(plateAlphabet, r) {
			return errPlate
		}
	}
	return nil
}

// check reports whether the filter can be searched (its plate).
func (f Filter) check() error {
	if f.Plate == "" {
		return nil
	}
	return checkPlate(f.Plate)
}

// plateText is a plate's published text, "" when it has none (no plate,
// or the reads did not agree).
func plateText(p *cases.Plate) string {
	if p == nil || p.Text == nil {
		return ""
	}
	return *p.Text
}

// samePlate lists the cases confirmed before it whose plate reads the
// same text, newest first, at most maxEarlier, and how many there are
// in all (none when it has no plate text).
func (s *Store) samePlate(it Item) ([]Item, int) {
	text := plateText(it.Plate)
	if text == "" {
		return nil, 0
	}
	items := s.all(func(o Item) bool {
		return o.CaseID != it.CaseID && plateText(o.Plate) == text && o.ConfirmedAt.Before(it.ConfirmedAt)
	})
	n := len(items)
	if n > maxEarlier {
		items = items[:maxEarlier]
	}
	return items, n
}
