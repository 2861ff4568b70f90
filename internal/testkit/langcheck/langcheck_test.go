package langcheck

import (
	"slices"
	"testing"
)

// TestForeign: English words on a zh-CN page and Chinese ones on an en
// page are found in text and the visible attributes, not in scripts,
// styles, other attributes, data or an element in another language.
func TestForeign(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, page string
		data       []string
		want       []string
	}{
		{"clean zh", `<html lang="zh-CN"><title>待办案件</title><body><p>摄像头 cam-1 · <kbd>Enter</kbd> 打开</p><a href="/lang/en" lang="en">English</a><script>var x = "queue";</script><style>p{color:red}</style></body></html>`,
			[]string{"cam-1"}, nil},
		{"English left in zh", `<html lang="zh-CN"><body><h1>Queue <small>3 件</small></h1><img alt="current picture"><input placeholder="required"><button title="Log in">登录</button></body></html>`,
			nil, []string{"Queue", "current", "picture", "required", "Log", "in"}},
		{"single letters and units are no words", `<html lang="zh-CN"><body><p>x 0.20 y 0.50 · 5 分 03 秒 · 45 %</p></body></html>`, nil, nil},
		{"clean en", `<html lang="en"><body><p>Place 人民路 1 号 · camera cam-1</p><a lang="zh-CN">中文</a></body></html>`, []string{"人民路 1 号"}, nil},
		{"Chinese left in en", `<html lang="en"><body><p>车牌 Plate · 核查 Recheck</p></body></html>`, nil, []string{"车牌", "核查"}},
	} {
		got, err := Foreign(tc.page, tc.data...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if _, err := Foreign(`<html><body>x</body></html>`); err == nil {
		t.Error("a page without a language passed")
	}
}
