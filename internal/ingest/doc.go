// Package ingest pulls camera streams over RTSP. For each camera it keeps a
// bounded ring buffer of compressed access units (for evidence clips) and
// decodes pictures for detection at the detection interval, decoding only
// key units when the stream's GOP allows it. A supervisor reconnects with
// exponential backoff and jitter.
package ingest
