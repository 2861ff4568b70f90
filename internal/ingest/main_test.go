package ingest

import (
	"flag"
	"os"
	"runtime"
	"testing"

	"github.com/patrol-city/patrol/internal/testkit/testenv"
)

// minParallel is how many of this package's parallel tests run at once
// unless -test.parallel is given. They spend their time waiting on
// real-time streams (the whole package uses about 4 s of CPU under
// -race). The test that asserts on timing under load
// (TestFaultyCamerasDoNotDisturbOthers) does not call t.Parallel and so
// still runs alone.
const minParallel = 8

func TestMain(m *testing.M) {
	flag.Parse()
	if runtime.GOMAXPROCS(0) < minParallel {
		testenv.RaiseParallel(minParallel)
	}
	os.Exit(m.Run())
}
