package pipeline

import (
	"image"
	"testing"

	"github.com/patrol-city/patrol/internal/detect"
)

func TestDropNested(t *testing.T) {
	car := detect.Detection{Label: "car", Score: 0.8, Box: image.Rect(100, 100, 300, 200)}
	half := detect.Detection{Label: "car", Score: 0.5, Box: image.Rect(100, 110, 190, 190)}
	truckPart := detect.Detection{Label: "truck", Score: 0.4, Box: image.Rect(120, 120, 200, 190)}
	person := detect.Detection{Label: "person", Score: 0.9, Box: image.Rect(150, 90, 180, 190)}
	other := detect.Detection{Label: "car", Score: 0.7, Box: image.Rect(280, 100, 480, 200)}
	for _, tc := range []struct {
		name string
		in   []detect.Detection
		want int
	}{
		{"part of a car", []detect.Detection{car, half}, 1},
		{"truck part of a car", []detect.Detection{car, truckPart}, 1},
		{"person in front of a car stays", []detect.Detection{car, person}, 2},
		{"overlapping neighbours stay", []detect.Detection{car, other}, 2},
		{"empty", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := dropNested(tc.in, 0.8); len(got) != tc.want {
				t.Fatalf("kept %d, want %d: %+v", len(got), tc.want, got)
			}
		})
	}
}
