package ingest

import (
	"flag"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// minParallel is how many of this package's parallel tests run at once
// unless -test.parallel is given (an explicit value wins). They spend
// their time waiting on real-time streams (the whole package uses about
// 4 s of CPU under -race), so go test's default of GOMAXPROCS (2 on the
// CI machine) would leave them queueing for nothing. The test that
// asserts on timing under load (TestFaultyCamerasDoNotDisturbOthers)
// does not call t.Parallel and so still runs alone.
const minParallel = 8

func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	// -test.parallel is also the number of fuzzing workers: left alone
	// when fuzzing.
	fuzzing := flag.Lookup("test.fuzz").Value.String() != ""
	if !set && !fuzzing && runtime.GOMAXPROCS(0) < minParallel {
		if err := flag.Set("test.parallel", strconv.Itoa(minParallel)); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
