package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints the fleet bench's figures, one per row.
func (r FleetResult) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "fleet bench: %d workers, %d cameras, max_cameras %d, %d registry partitions (capacity %d)\n",
		r.Workers, r.Cameras, r.MaxCameras, r.Partitions, r.Workers*r.MaxCameras)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	rows := []struct {
		what string
		v    any
	}{
		{"apply to every camera streaming (s)", r.ApplyToStreamingS},
		{"cameras unwatched / run twice", fmt.Sprintf("%d / %d", r.Unwatched, r.Duplicated)},
		{"cameras reported unplaced (no worker has room)", r.Unplaced},
		{"cameras per worker (min-max)", fmt.Sprintf("%d-%d", r.PerWorkerMin, r.PerWorkerMax)},
		{"over capacity (owned, not run) / workers over max", fmt.Sprintf("%d / %d", r.OverCapacity, r.OverMax)},
		{"one camera changed: apply to restart (s)", r.ChangeToEffectS},
		{"SIGKILL: the worker's cameras / cameras moved", fmt.Sprintf("%d / %d", r.LostWorkerCameras, r.MovedAfterKill)},
		{"SIGKILL: to the last moved camera streaming (s)", r.KillToStreamingS},
		{"SIGKILL: cameras unwatched once settled", r.UnwatchedAfterKill},
		{"rejoin: cameras moved", r.MovedAfterRejoin},
		{"kept cameras restarted (kill, rejoin, rolling)", r.RestartsOfKeptCameras},
		{"rolling restart: worst gap of a camera (s)", r.RollingRestartMaxGapS},
		{"rolling restart: camera-seconds unwatched", r.RollingRestartCameraSeconds},
		{"rolling restart: camera starts per camera", r.RollingRestartMovesPerCamera},
		{"rolling restart: duration (s) / unwatched after", fmt.Sprintf("%.1f / %d", r.RollingRestartS, r.UnwatchedAfterRolling)},
		{"heap per worker, registry + case state (MiB)", r.HeapPerWorkerMiB},
	}
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%v\n", row.what, row.v)
	}
	return tw.Flush()
}
