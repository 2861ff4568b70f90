package plate

import (
	"image"
	"unicode/utf8"

	"gocv.io/x/gocv"
)

// The plate's background colour tells its length: green plates (new
// energy) have 8 characters, blue ones 7. A read whose length disagrees
// with the colour lost or gained a character, and is not reported.
const (
	colourOther = iota
	colourGreen
	colourBlue
)

// colourOf is the colour of a rectified plate: the mean hue and
// saturation of its middle half (OpenCV's hue, 0-180).
func colourOf(plate gocv.Mat) int {
	w, h := plate.Cols(), plate.Rows()
	if w < 4 || h < 4 {
		return colourOther
	}
	mid := plate.Region(image.Rect(w/4, h/4, w-w/4, h-h/4))
	defer mid.Close()
	hsv := gocv.NewMat()
	defer hsv.Close()
	gocv.CvtColor(mid, &hsv, gocv.ColorBGRToHSV)
	m := hsv.Mean()
	hue, sat := m.Val1, m.Val2
	switch {
	case sat < 60:
		return colourOther
	case hue >= 35 && hue <= 95:
		return colourGreen
	case hue >= 100 && hue <= 130:
		return colourBlue
	}
	return colourOther
}

// fitsColour reports whether text's length suits the plate's colour.
func fitsColour(text string, colour int) bool {
	n := utf8.RuneCountInString(text)
	switch colour {
	case colourGreen:
		return n == 8
	case colourBlue:
		return n == 7
	}
	return true
}
