//go:build !linux

package bench

import (
	"errors"
	"syscall"
	"time"
)

var errUnsupported = errors.New("bench: CPU and RSS measurement needs Linux")

func childAttr() *syscall.SysProcAttr { return nil }

func cpuTime() (time.Duration, error) { return 0, errUnsupported }

func rssBytes() (int64, error) { return 0, errUnsupported }

func hostCPU() (busy, total uint64, err error) { return 0, 0, errUnsupported }

func trimCHeap() {}
