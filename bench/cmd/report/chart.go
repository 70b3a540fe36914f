package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"strings"
)

// A horizontal grouped bar chart drawn with image/png and the bitmap font
// in font.go: one panel per metric, one group of bars per case, one bar per
// connection count.

var (
	white   = color.RGBA{255, 255, 255, 255}
	black   = color.RGBA{30, 30, 30, 255}
	grey    = color.RGBA{225, 225, 225, 255}
	palette = []color.RGBA{{66, 113, 196, 255}, {237, 125, 49, 255}, {112, 173, 71, 255}, {165, 165, 165, 255}}
)

const (
	scale    = 2          // font pixel size
	charW    = 6 * scale  // advance
	lineH    = 9 * scale  // text line height
	barH     = 18         // one bar
	groupGap = 10         // between cases
	labelW   = 24 * charW // case labels column
	plotW    = 560        // bar area
	valueW   = 9 * charW  // numbers after the bars
	width    = labelW + plotW + valueW + 30
	marginX  = 15
	titleGap = 2*lineH + 10 // title and legend above a panel
	axisGap  = lineH + 8    // axis labels below a panel
	panelGap = 30
)

// panel is one metric: a value per (case, series).
type panel struct {
	title  string
	format func(float64) string
	values [][]float64 // [case][series]; NaN: missing
}

func writeChart(path string, cases, series []string, panels []panel) error {
	groupH := len(series)*barH + groupGap
	panelH := titleGap + len(cases)*groupH + axisGap
	height := 20 + len(panels)*(panelH+panelGap)
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	fill(img, img.Bounds(), white)
	y := 20
	for _, p := range panels {
		drawPanel(img, y, cases, series, p)
		y += panelH + panelGap
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func drawPanel(img *image.RGBA, y0 int, cases, series []string, p panel) {
	text(img, marginX, y0, p.title, black)
	// Legend.
	x := marginX
	for i, s := range series {
		fill(img, image.Rect(x, y0+lineH+2, x+12, y0+lineH+14), palette[i%len(palette)])
		text(img, x+18, y0+lineH+1, s, black)
		x += 18 + (len(s)+3)*charW
	}
	max := 0.0
	for _, vs := range p.values {
		for _, v := range vs {
			if !math.IsNaN(v) && v > max {
				max = v
			}
		}
	}
	step := niceStep(max / 5)
	if step == 0 {
		step = 1
	}
	top := math.Ceil(max/step) * step
	x0 := marginX + labelW
	groupH := len(series)*barH + groupGap
	plotTop := y0 + titleGap
	plotBottom := plotTop + len(cases)*groupH
	// Grid and axis labels.
	for v := 0.0; v <= top+step/2; v += step {
		gx := x0 + int(v/top*plotW)
		fill(img, image.Rect(gx, plotTop, gx+1, plotBottom), grey)
		l := p.format(v)
		text(img, gx-len(l)*charW/2, plotBottom+6, l, black)
	}
	for ci, c := range cases {
		gy := plotTop + ci*groupH
		text(img, marginX, gy+(len(series)*barH-lineH)/2+3, c, black)
		for si := range series {
			v := p.values[ci][si]
			by := gy + si*barH
			if math.IsNaN(v) {
				continue
			}
			w := int(v / top * plotW)
			fill(img, image.Rect(x0, by+1, x0+w, by+barH-1), palette[si%len(palette)])
			text(img, x0+w+6, by+(barH-7*scale)/2, p.format(v), black)
		}
	}
	fill(img, image.Rect(x0, plotTop, x0+1, plotBottom), black)
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if x <= 0 {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// text draws s (upper-cased; characters without a glyph are skipped) with
// its top-left corner at (x, y).
func text(img *image.RGBA, x, y int, s string, c color.RGBA) {
	for _, r := range strings.ToUpper(s) {
		if g, ok := glyphs[r]; ok {
			for row, bits := range g {
				for col, b := range bits {
					if b == '#' {
						fill(img, image.Rect(x+col*scale, y+row*scale, x+(col+1)*scale, y+(row+1)*scale), c)
					}
				}
			}
		}
		x += charW
	}
}

func kilo(v float64) string {
	if v >= 1000 && math.Mod(v, 1000) == 0 {
		return fmt.Sprintf("%.0fK", v/1000)
	}
	if v >= 1000 {
		return fmt.Sprintf("%.1fK", v/1000)
	}
	return fmt.Sprintf("%.0f", v)
}
