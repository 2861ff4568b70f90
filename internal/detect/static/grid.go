package static

import (
	"image"
	"math"
	"slices"

	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/media"
)

// cellMeans is a picture reduced to the mean BGR of each cell.
type cellMeans []float32

// grid is the cell layout of one picture size.
type grid struct {
	w, h   int // picture size
	cw, ch int // cells across and down
	cell   int
	inZone []bool // cell centre inside a watched zone
}

func newGrid(w, h, cell int, zones []detect.Zone) *grid {
	g := &grid{w: w, h: h, cell: cell, cw: (w + cell - 1) / cell, ch: (h + cell - 1) / cell}
	g.inZone = make([]bool, g.cw*g.ch)
	for cy := 0; cy < g.ch; cy++ {
		for cx := 0; cx < g.cw; cx++ {
			p := detect.Point{X: (float64(cx) + 0.5) * float64(cell) / float64(w), Y: (float64(cy) + 0.5) * float64(cell) / float64(h)}
			for _, z := range zones {
				if z.Contains(p) {
					g.inZone[cy*g.cw+cx] = true
					break
				}
			}
		}
	}
	return g
}

// means reduces img (of the grid's size) to cell means, sampling every
// second pixel of a cell in both directions.
func (g *grid) means(img *media.Image, out cellMeans) cellMeans {
	if cap(out) < g.cw*g.ch*3 {
		out = make(cellMeans, g.cw*g.ch*3)
	}
	out = out[:g.cw*g.ch*3]
	step := max(g.cell/2, 1)
	for cy := 0; cy < g.ch; cy++ {
		for cx := 0; cx < g.cw; cx++ {
			m := img.Mean(image.Rect(cx*g.cell, cy*g.cell, (cx+1)*g.cell, (cy+1)*g.cell), step, step)
			copy(out[(cy*g.cw+cx)*3:], m[:])
		}
	}
	return out
}

// diff is the largest channel difference of cell i between cur and bg
// scaled by gain (the picture's exposure against the background's), which
// clips at 255 as the camera does.
func diff(cur, bg cellMeans, i int, gain float32) float64 {
	j := i * 3
	d := 0.0
	for c := 0; c < 3; c++ {
		d = max(d, math.Abs(float64(cur[j+c]-min(gain*bg[j+c], 255))))
	}
	return d
}

// gain estimates the exposure of cur against bg: the median brightness
// ratio over every fourth watched cell not under a person or vehicle
// (excl), leaving out cells too dark to tell and cells bright enough to
// clip at 40 % more light (1 when fewer than 8 are left). A cloud, street
// lights or the camera's auto-exposure change it; a new object in a small
// part of the picture does not, nor a bus standing over a third of it.
func (g *grid) gain(cur, bg cellMeans, excl []bool, buf []float64) (float32, []float64) {
	buf = buf[:0]
	for i := 0; i < len(g.inZone); i += 4 {
		if lb := luma(bg, i); g.inZone[i] && !excl[i] && lb >= 8 && lb*1.4 < 250 {
			buf = append(buf, luma(cur, i)/lb)
		}
	}
	if len(buf) < 8 {
		return 1, buf
	}
	slices.Sort(buf)
	return float32(buf[len(buf)/2]), buf
}

// luma is a cell's brightness.
func luma(m cellMeans, i int) float64 {
	return float64(m[i*3]+m[i*3+1]+m[i*3+2]) / 3
}

// correlation is the normalized correlation of the luma of cells in cur
// and bg (1 when the pattern is the same under other light).
func correlation(cur, bg cellMeans, cells []int) float64 {
	var ma, mb float64
	for _, i := range cells {
		ma += luma(cur, i)
		mb += luma(bg, i)
	}
	n := float64(len(cells))
	ma, mb = ma/n, mb/n
	var ab, aa, bb float64
	for _, i := range cells {
		a, b := luma(cur, i)-ma, luma(bg, i)-mb
		ab, aa, bb = ab+a*b, aa+a*a, bb+b*b
	}
	if aa < n || bb < n {
		return 0 // flat: no pattern to compare
	}
	return ab / math.Sqrt(aa*bb)
}
