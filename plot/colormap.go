package plot

import (
	"image/color"
	"math"

	"gonum.org/v1/plot/palette/moreland"
)

// colormap maps t in [0, 1] (clamped) to a colour.
type colormap func(t float64) color.RGBA

// summer is matplotlib's "summer", used by plot_2D.py for contours.
func summer(t float64) color.RGBA {
	t = clamp01(t)
	return rgb(t, 0.5+0.5*t, 0.4)
}

// viridisAnchors samples matplotlib's "viridis" at t = 0, 0.1, ..., 1.
var viridisAnchors = []color.RGBA{
	{0x44, 0x01, 0x54, 0xff}, {0x48, 0x24, 0x75, 0xff}, {0x41, 0x44, 0x87, 0xff},
	{0x35, 0x5f, 0x8d, 0xff}, {0x2a, 0x78, 0x8e, 0xff}, {0x21, 0x91, 0x8c, 0xff},
	{0x22, 0xa8, 0x84, 0xff}, {0x44, 0xbf, 0x70, 0xff}, {0x7a, 0xd1, 0x51, 0xff},
	{0xbd, 0xdf, 0x26, 0xff}, {0xfd, 0xe7, 0x25, 0xff},
}

// viridis is matplotlib's "viridis" (piecewise linear), used by plot_2D.py
// for the heat map.
func viridis(t float64) color.RGBA {
	t = clamp01(t) * float64(len(viridisAnchors)-1)
	i := min(int(t), len(viridisAnchors)-2)
	f := t - float64(i)
	a, b := viridisAnchors[i], viridisAnchors[i+1]
	mix := func(p, q uint8) uint8 { return uint8(math.Round(float64(p)*(1-f) + float64(q)*f)) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// coolwarmMap is Moreland's smooth blue-red map, matplotlib's "coolwarm",
// used by plot_2D.py for the 3D surface.
var coolwarmMap = func() func(float64) color.RGBA {
	m := moreland.SmoothBlueRed()
	m.SetMin(0)
	m.SetMax(1)
	return func(t float64) color.RGBA {
		c, err := m.At(clamp01(t))
		if err != nil {
			return color.RGBA{0x80, 0x80, 0x80, 0xff}
		}
		return color.RGBAModel.Convert(c).(color.RGBA)
	}
}()

func coolwarm(t float64) color.RGBA { return coolwarmMap(t) }

// Colours used for masked and out-of-range regions.
var (
	maskGrey = color.RGBA{0xc8, 0xc8, 0xc8, 0xff}
	white    = color.RGBA{0xff, 0xff, 0xff, 0xff}
	black    = color.RGBA{0, 0, 0, 0xff}
	blue     = color.RGBA{0x1f, 0x3f, 0xd0, 0xff}
	red      = color.RGBA{0xd0, 0x20, 0x20, 0xff}
)

func rgb(r, g, b float64) color.RGBA {
	return color.RGBA{uint8(math.Round(255 * clamp01(r))), uint8(math.Round(255 * clamp01(g))), uint8(math.Round(255 * clamp01(b))), 0xff}
}

// shade scales a colour's brightness by f.
func shade(c color.RGBA, f float64) color.RGBA {
	return rgb(float64(c.R)/255*f, float64(c.G)/255*f, float64(c.B)/255*f)
}

func clamp01(t float64) float64 {
	if math.IsNaN(t) {
		return 0
	}
	return math.Max(0, math.Min(1, t))
}
