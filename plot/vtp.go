package plot

import (
	"fmt"
	"io"
	"math"
	"strconv"
)

// writeVTP writes s as VTK PolyData XML (ascii), as h52vtp.py does: a point
// (x, y, z) per finite loss value, z the loss or, with Log, ln(loss+0.1);
// a quad per grid cell whose four corners are finite; the point data
// "zvalue" (z, the active scalars) and "loss" (the raw loss).
func writeVTP(w io.Writer, s *Surface, o Options) error {
	nx, ny := len(s.X), len(s.Y)
	zval := func(l float64) float64 {
		if o.Log {
			return math.Log(l + 0.1)
		}
		return l
	}
	index := make([]int, nx*ny) // point number of grid node, or -1
	var xyz, zs, loss []float64
	for i := range nx {
		for j := range ny {
			l := s.Loss[i*ny+j]
			z := zval(l)
			if !finite(l) || !finite(z) {
				index[i*ny+j] = -1
				continue
			}
			index[i*ny+j] = len(zs)
			xyz = append(xyz, s.X[i], s.Y[j], z)
			zs = append(zs, z)
			loss = append(loss, l)
		}
	}
	var conn, offs []float64
	for i := range nx - 1 {
		for j := range ny - 1 {
			q := [4]int{index[i*ny+j], index[(i+1)*ny+j], index[(i+1)*ny+j+1], index[i*ny+j+1]}
			if min(q[0], q[1], q[2], q[3]) < 0 {
				continue
			}
			for _, k := range q {
				conn = append(conn, float64(k))
			}
			offs = append(offs, float64(len(conn)))
		}
	}

	fmt.Fprintf(w, "<?xml version=\"1.0\"?>\n<VTKFile type=\"PolyData\" version=\"0.1\" byte_order=\"LittleEndian\">\n")
	fmt.Fprintf(w, "  <PolyData>\n    <Piece NumberOfPoints=\"%d\" NumberOfVerts=\"0\" NumberOfLines=\"0\" NumberOfStrips=\"0\" NumberOfPolys=\"%d\">\n", len(zs), len(offs))
	fmt.Fprintf(w, "      <Points>\n")
	dataArray(w, "Float32", "", 3, xyz)
	fmt.Fprintf(w, "      </Points>\n      <PointData Scalars=\"zvalue\">\n")
	dataArray(w, "Float32", "zvalue", 1, zs)
	dataArray(w, "Float32", "loss", 1, loss)
	fmt.Fprintf(w, "      </PointData>\n      <CellData>\n      </CellData>\n      <Polys>\n")
	dataArray(w, "Int64", "connectivity", 1, conn)
	dataArray(w, "Int64", "offsets", 1, offs)
	_, err := fmt.Fprintf(w, "      </Polys>\n    </Piece>\n  </PolyData>\n</VTKFile>\n")
	return err
}

// dataArray writes one ascii DataArray element.
func dataArray(w io.Writer, typ, name string, comps int, v []float64) {
	fmt.Fprintf(w, "        <DataArray type=%q", typ)
	if name != "" {
		fmt.Fprintf(w, " Name=%q", name)
	}
	fmt.Fprintf(w, " NumberOfComponents=\"%d\" format=\"ascii\"", comps)
	if len(v) > 0 && comps == 1 {
		lo, hi := v[0], v[0]
		for _, x := range v {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		fmt.Fprintf(w, " RangeMin=\"%s\" RangeMax=\"%s\"", num(typ, lo), num(typ, hi))
	}
	fmt.Fprintf(w, ">\n")
	for k := 0; k < len(v); k += comps * 4 {
		fmt.Fprintf(w, "         ")
		for _, x := range v[k:min(k+comps*4, len(v))] {
			fmt.Fprintf(w, " %s", num(typ, x))
		}
		fmt.Fprintf(w, "\n")
	}
	fmt.Fprintf(w, "        </DataArray>\n")
}

func num(typ string, x float64) string {
	if typ == "Int64" {
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'g', -1, 32)
}
