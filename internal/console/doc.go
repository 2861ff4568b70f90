// Package console is patrol's web console (`patrol console`): an HTTP
// server for dispatchers, who verify candidate cases (queue, case page
// with clip and snapshots, keyboard-first verdicts, suppression of
// repeats), and for operators (cameras, health history, the zone editor
// over the camera's current picture), and for both a map of the cameras
// and open cases (map.go: tiles from the office's GIS, or a plain grid of
// the 单元网格 codes; drawn by a small script of our own rather than
// Leaflet, which would need a JavaScript fetch at build time: see
// docs/console.md), and the office's statistics with their CSV and XLSX
// exports (stats*.go). docs/console.md describes it.
//
// Kafka is its only store: the cases, health and verdicts topics are read
// from their start (follow.go), the camera registry and the suppressions
// are followed as tables (worker/ktable); verdicts, suppressions and
// edited camera records are written back to Kafka, so the console can be
// restarted, or run twice, without losing anything. Evidence is streamed
// from the object store with the console's own credentials; the browser
// never sees a bucket key or a presigned URL. Sessions live in memory: a
// restart logs everyone out.
//
// Every word on the pages comes from one message catalogue (i18n.go,
// web/i18n/zh-CN.json and en.json; zh-CN first, English second), read
// with go-i18n (github.com/nicksnyder/go-i18n/v2), chosen because it is
// maintained, reads plain embedded JSON with each language's plural
// rules and falls back per message, without the code generator that
// golang.org/x/text/message needs. Times are shown in
// console.time_zone (default Asia/Shanghai).
//
// The package builds with CGO_ENABLED=0.
package console
