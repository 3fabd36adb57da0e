package vm

import (
	"fmt"
	"math"
	"strconv"
	"strings"
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

// ParseSize reads a size such as "512", "512M", "4G", "4GiB" or "1.5T"
// (binary units: K, M, G, T, with or without "B"/"iB"). A bare number is in
// unit bytes, e.g. 1<<20 to read it as MiB.
func ParseSize(s string, unit uint64) (uint64, error) {
	t := strings.TrimSpace(strings.ToUpper(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "IB"), "B")
	mult := unit
	if t != "" {
		if i := strings.IndexByte("KMGTP", t[len(t)-1]); i >= 0 {
			mult = 1 << (10 * (i + 1))
			t = strings.TrimSpace(t[:len(t)-1])
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n < 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, fmt.Errorf("%q is not a size: write a number with a unit, such as 512M or 4G", s)
	}
	bytes := n * float64(mult)
	if bytes > float64(1<<62) {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return uint64(bytes), nil
}
