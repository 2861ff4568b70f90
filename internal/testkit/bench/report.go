package bench

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
)

// IngestResult is the outcome of Ingest. The flat fields summarise the
// "keyframes" mode (unsuffixed or _keyframes) and the "all" mode (_all or
// _all_frames); fields of a mode that was not run are zero. CPU figures are
// fractions of one core; memory is in MiB.
type IngestResult struct {
	Cameras   int     `json:"cameras"`
	DurationS float64 `json:"duration_s"`
	WarmupS   float64 `json:"warmup_s"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	FPS       int     `json:"fps"`
	GOP       int     `json:"gop"`
	Bitrate   int     `json:"bitrate"`
	IntervalS float64 `json:"interval_s"`
	NumCPU    int     `json:"nproc"`

	CPUPerCameraKeyframes float64 `json:"cpu_per_camera_keyframes"`
	CPUPerCameraAll       float64 `json:"cpu_per_camera_all_frames"`
	// RatioAllOverKeyframes is CPUPerCameraAll / CPUPerCameraKeyframes.
	RatioAllOverKeyframes float64 `json:"ratio_all_over_keyframes"`

	RSSPerCameraMiB        float64 `json:"rss_per_camera_mib"`
	RSSPerCameraMiBAll     float64 `json:"rss_per_camera_mib_all"`
	PeakRSSPerCameraMiB    float64 `json:"rss_peak_per_camera_mib"`
	PeakRSSPerCameraMiBAll float64 `json:"rss_peak_per_camera_mib_all"`
	RingPerCameraMiB       float64 `json:"ring_per_camera_mib"`

	DroppedFrames          uint64  `json:"dropped_frames"`
	DroppedFramesAll       uint64  `json:"dropped_frames_all"`
	FramesSentKeyframes    uint64  `json:"frames_sent_keyframes"`
	FramesSentAll          uint64  `json:"frames_sent_all"`
	FramesDecodedKeyframes uint64  `json:"frames_decoded_keyframes"`
	FramesDecodedAll       uint64  `json:"frames_decoded_all"`
	UnitsReceivedKeyframes uint64  `json:"units_received_keyframes"`
	UnitsReceivedAll       uint64  `json:"units_received_all"`
	UnitsExpected          uint64  `json:"units_expected"`
	MbitPerCamera          float64 `json:"mbit_s_per_camera"`
	Reconnects             uint64  `json:"reconnects"`
	HostBusyKeyframes      float64 `json:"host_busy_cores_keyframes"`
	HostBusyAll            float64 `json:"host_busy_cores_all"`

	// Modes holds every mode's full figures, in the order run.
	Modes []ModeResult `json:"-"`
}

// add records one mode's figures.
func (r *IngestResult) add(m ModeResult) {
	r.Modes = append(r.Modes, m)
	r.Reconnects += m.Reconnects
	r.MbitPerCamera = round(m.MbitPerCam, 3)
	r.UnitsExpected = m.Expected
	switch m.Mode {
	case ModeKeyframes:
		r.CPUPerCameraKeyframes = round(m.CPUPerCam, 4)
		r.RSSPerCameraMiB = round(m.RSSPerCam, 1)
		r.PeakRSSPerCameraMiB = round(m.PeakPerCam, 1)
		r.RingPerCameraMiB = round(m.RingPerCam, 1)
		r.DroppedFrames = m.Dropped
		r.FramesSentKeyframes = m.Sent
		r.FramesDecodedKeyframes = m.Decoded
		r.UnitsReceivedKeyframes = m.Units
		r.HostBusyKeyframes = round(m.HostBusy, 2)
	case ModeAll:
		r.CPUPerCameraAll = round(m.CPUPerCam, 4)
		r.RSSPerCameraMiBAll = round(m.RSSPerCam, 1)
		r.PeakRSSPerCameraMiBAll = round(m.PeakPerCam, 1)
		r.DroppedFramesAll = m.Dropped
		r.FramesSentAll = m.Sent
		r.FramesDecodedAll = m.Decoded
		r.UnitsReceivedAll = m.Units
		r.HostBusyAll = round(m.HostBusy, 2)
	}
	if r.CPUPerCameraKeyframes > 0 && r.CPUPerCameraAll > 0 {
		r.RatioAllOverKeyframes = round(r.CPUPerCameraAll/r.CPUPerCameraKeyframes, 2)
	}
}

// WriteTable prints one row per mode.
func (r IngestResult) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "ingest bench: %d cameras, %dx%d@%d GOP %d, %.1f Mbit/s, interval %gs, window %gs after %gs warm-up, %d CPUs\n",
		r.Cameras, r.Width, r.Height, r.FPS, r.GOP, float64(r.Bitrate)/1e6, r.IntervalS, r.DurationS, r.WarmupS, r.NumCPU)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tcpu/cam\tcpu total\trss/cam MiB\tpeak/cam MiB\tring/cam MiB\tMbit/s/cam\tunits/expected\tdecoded\tsent\tdropped\treconnects\thost busy\t")
	for _, m := range r.Modes {
		fmt.Fprintf(tw, "%s\t%.4f\t%.2f\t%.1f\t%.1f\t%.1f\t%.2f\t%d/%d\t%d\t%d\t%d\t%d\t%.2f\t\n",
			m.Mode, m.CPUPerCam, m.CPUS/m.WallS, m.RSSPerCam, m.PeakPerCam, m.RingPerCam, m.MbitPerCam,
			m.Units, m.Expected, m.Decoded, m.Sent, m.Dropped, m.Reconnects, m.HostBusy)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.RatioAllOverKeyframes > 0 {
		_, err := fmt.Fprintf(w, "all frames / key frames CPU: %.1fx\n", r.RatioAllOverKeyframes)
		return err
	}
	return nil
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}
