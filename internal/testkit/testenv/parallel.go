package testenv

import (
	"flag"
	"strconv"
)

// RaiseParallel sets go test's -test.parallel to n when the command line
// did not give it and the run is not fuzzing (-test.parallel is also the
// number of fuzz workers). Call it from TestMain after flag.Parse, in a
// package whose parallel tests mostly wait in real time, so that go
// test's default (GOMAXPROCS: 2 on the CI machine) does not queue them
// for nothing.
func RaiseParallel(n int) {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if fz := flag.Lookup("test.fuzz"); given || (fz != nil && fz.Value.String() != "") {
		return
	}
	if err := flag.Set("test.parallel", strconv.Itoa(n)); err != nil {
		panic(err)
	}
}
