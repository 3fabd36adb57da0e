package vm

import (
	"fmt"
	"math"
)

// FormatBytes prints a byte count in binary units with at most three
// significant digits, e.g. "512", "1.5K", "20G". It fits a 5-column cell.
func FormatBytes(b float64) string {
	const units = "KMGTPE"
	if b < 1024 {
		return fmt.Sprintf("%.0f", math.Max(b, 0))
	}
	i := -1
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if b < 10 && b != math.Trunc(b) {
		return fmt.Sprintf("%.1f%c", b, units[i])
	}
	return fmt.Sprintf("%.0f%c", b, units[i])
}

// FormatKiB prints a size given in KiB, as libvirt reports memory.
func FormatKiB(kib uint64) string { return FormatBytes(float64(kib) * 1024) }
