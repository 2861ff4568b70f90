// Package langcheck finds the words of the wrong language on a rendered
// page, for the console's tests (package console and the browser test in
// testkit/e2e): a zh-CN page must have no English word, an en page no
// Chinese one, except for data (camera, zone and case ids, user names,
// plates, rule codes, place names) that the test names.
//
// The visible text is the page's text nodes (title included, script and
// style left out) and its title, alt, placeholder and aria-label
// attributes; an element that says it is in another language (a lang
// attribute other than the page's, like the language switch naming
// English in English) is left out with its children. An English word is
// a run of two or more ASCII letters; a Chinese word a run of Han
// characters.
package langcheck

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/net/html"
)

// Allowed are the English words a zh-CN page may show although they are
// no data: the names printed on keys (<kbd>Enter</kbd>). Keep it tiny.
var Allowed = []string{"Enter", "Esc", "Alt", "Ctrl"}

// Text is the visible text of page, one piece a line, and the page's
// language (its html lang attribute).
func Text(page string) (text []string, lang string, err error) {
	doc, err := html.ParseWithOptions(strings.NewReader(page), html.ParseOptionEnableScripting(false)) // <noscript> as elements
	if err != nil {
		return nil, "", fmt.Errorf("langcheck: %w", err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if n.Data == "html" {
				lang = attr(n, "lang")
			} else if l := attr(n, "lang"); l != "" && l != lang {
				return
			}
			if n.Data == "script" || n.Data == "style" {
				return
			}
			for _, a := range []string{"title", "alt", "placeholder", "aria-label"} {
				if v := strings.TrimSpace(attr(n, a)); v != "" {
					text = append(text, v)
				}
			}
		}
		if n.Type == html.TextNode {
			if v := strings.TrimSpace(n.Data); v != "" {
				text = append(text, v)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return text, lang, nil
}

// Foreign lists the words of page that are not in its language (English
// words on a zh-CN page, Chinese ones on an en page), each once, leaving
// out the words of data and, on a zh-CN page, Allowed. A page without a
// lang attribute is an error.
func Foreign(page string, data ...string) ([]string, error) {
	text, lang, err := Text(page)
	if err != nil {
		return nil, err
	}
	var words func(string) []string
	allowed := map[string]bool{}
	switch {
	case lang == "zh-CN" || lang == "zh":
		words = EnglishWords
		for _, a := range Allowed {
			allowed[a] = true
		}
	case strings.HasPrefix(lang, "en"):
		words = ChineseWords
	default:
		return nil, fmt.Errorf("langcheck: page language %q (want zh-CN or en)", lang)
	}
	for _, d := range data {
		for _, w := range words(d) {
			allowed[w] = true
		}
	}
	var out []string
	for _, t := range text {
		for _, w := range words(t) {
			if !allowed[w] && !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	return out, nil
}

// EnglishWords are the runs of two or more ASCII letters in s.
func EnglishWords(s string) []string {
	return runs(s, func(r rune) bool { return r < 0x80 && unicode.IsLetter(r) }, 2)
}

// ChineseWords are the runs of Han characters in s.
func ChineseWords(s string) []string {
	return runs(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }, 1)
}

func runs(s string, in func(rune) bool, min int) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return !in(r) }) {
		if len([]rune(f)) >= min {
			out = append(out, f)
		}
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
