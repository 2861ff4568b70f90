package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/patrol-city/patrol/internal/testkit/langcheck"
)

// browser starts headless Chromium; without it the test fails, unless
// PATROL_TEST_NO_BROWSER=1 says to skip.
func browser(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("PATROL_TEST_NO_BROWSER") == "1" {
			t.Skipf("%s missing and PATROL_TEST_NO_BROWSER=1: the console's browser test is skipped", chromiumPath)
		}
		t.Fatalf("%s missing (deploy/testenv/deps.sh installs Debian's chromium; PATROL_TEST_NO_BROWSER=1 skips this test): %v", chromiumPath, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath), chromedp.NoSandbox,
		chromedp.WindowSize(1400, 1000), chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancel)
	bctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return bctx
}

// do runs browser actions within limit.
func do(t *testing.T, bctx context.Context, limit time.Duration, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(bctx, limit)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// until polls a JavaScript expression in the page until it is true.
func until(t *testing.T, bctx context.Context, limit time.Duration, what, expr string) {
	t.Helper()
	waitFor(t, limit, what, func() bool {
		ctx, cancel := context.WithTimeout(bctx, 5*time.Second)
		defer cancel()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		return err == nil && ok
	})
}

// screenshot writes the viewport as docs/console/NAME.png.
func (r *consoleRig) screenshot(t *testing.T, bctx context.Context, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(bctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(r.docs, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d bytes)", p, len(png))
}

// login logs user in through the login form (logging out first when a
// session is open), typing into the fields as a person does.
func (r *consoleRig) login(t *testing.T, bctx context.Context, user string) {
	t.Helper()
	base := r.srv.URL()
	do(t, bctx, 15*time.Second, "login page", chromedp.Navigate(base+"/login"))
	if loc, err := chromedp.Run(bctx, chromedp.Location()); err == nil && !strings.Contains(loc, "/login") {
		do(t, bctx, 15*time.Second, "log out", chromedp.Click(chromedp.CSS("form.logout button")), chromedp.WaitVisible(chromedp.CSS("#user")))
	}
	do(t, bctx, 15*time.Second, "log in as "+user, chromedp.WaitVisible(chromedp.CSS("#user")),
		chromedp.SendKeys(chromedp.CSS("#user"), user), chromedp.SendKeys(chromedp.CSS("#password"), "pw-"+user+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("header.top")))
}

// openFromQueue waits until the queue lists caseID, selects its row with
// j/k and opens it with Enter.
func (r *consoleRig) openFromQueue(t *testing.T, bctx context.Context, caseID string) {
	t.Helper()
	var rows []string
	waitFor(t, 60*time.Second, "case "+caseID+" in the queue", func() bool {
		ctx, cancel := context.WithTimeout(bctx, 10*time.Second)
		defer cancel()
		if chromedp.Do(ctx, chromedp.Navigate(r.srv.URL()+"/queue"), chromedp.WaitVisible(chromedp.CSS("body[data-ready]"))) != nil {
			return false
		}
		rows, _ = chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('tr.row')].map(r => r.dataset.case)`))
		return slices.Contains(rows, caseID)
	})
	sel, err := chromedp.Run(bctx, chromedp.Evaluate[int](`[...document.querySelectorAll('tr.row')].findIndex(r => r.classList.contains('sel'))`))
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Index(rows, caseID)
	var ks []string
	for ; sel < want; sel++ {
		ks = append(ks, "j")
	}
	for ; sel > want; sel-- {
		ks = append(ks, kb.ArrowUp)
	}
	press(t, bctx, ks...)
	got, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector('tr.row.sel').dataset.case`))
	if err != nil || got != caseID {
		t.Fatalf("selected %q (%v), want %s", got, err, caseID)
	}
	press(t, bctx, kb.Enter)
	until(t, bctx, 15*time.Second, "case page of "+caseID, `document.body.dataset.ready === 'true' && document.getElementById('case') && document.getElementById('case').dataset.case === `+strconv.Quote(caseID))
}

// checkShown fails the test when the page shown (as its scripts left
// it) is not in lang or has a word of another language (langcheck):
// the rig's data and the ids of its cases aside.
func (r *consoleRig) checkShown(t *testing.T, bctx context.Context, what, lang string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(bctx, 10*time.Second)
	defer cancel()
	page, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !strings.Contains(page, `<html lang="`+lang+`"`) {
		t.Errorf("%s: page not in %s", what, lang)
	}
	data := slices.Clone(r.data)
	for _, c := range r.opened(t) {
		data = append(data, c.CaseID, c.Rule.Name)
	}
	for _, x := range r.srv.Suppressions() { // the topic's, of earlier runs too
		data = append(data, x.CaseID, x.CameraID, x.ZoneID, x.User)
	}
	words, err := langcheck.Foreign(page, data...)
	if err != nil || len(words) > 0 {
		t.Errorf("%s in %s: words of another language %q (%v)", what, lang, words, err)
	}
}

// checkPage opens path and checks it is in lang (checkShown); the map
// and statistics pages are added with one line each.
func (r *consoleRig) checkPage(t *testing.T, bctx context.Context, path, lang string) {
	t.Helper()
	do(t, bctx, 15*time.Second, path, chromedp.Navigate(r.srv.URL()+path), chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	if path == "/map" { // its layer comes after the page
		until(t, bctx, 20*time.Second, "the map's layer", `!!document.querySelector('#map[data-ready]')`)
	}
	r.checkShown(t, bctx, path, lang)
}

// press types each key on the page, as a person on the keyboard.
func press(t *testing.T, bctx context.Context, ks ...string) {
	t.Helper()
	for _, k := range ks {
		do(t, bctx, 5*time.Second, "key "+k, chromedp.KeyEvent(k))
	}
}
